// The running load of a fault campaign: client threads that call a journal (stateful, one
// home), a ledger (keyed, replicated) and counts (keyed, sharded) without pause until stopped,
// and record what each write did (write_history.hpp). Each component has threads of its own,
// so that one held up by a fault does not hold up the calls to the others.
//
// Besides writing, each thread reads back what it wrote last, and checks the answer at once:
// a journal or counts read must hold every acknowledged write (one copy answers); a ledger read
// may be stale (a backup its primary dropped serves reads until the origin takes it out), but
// must never hold a write twice, or one that did not run.
//
//   CampaignLoad load(journal, ledger, counts, seed, anomalies);
//   ... faults ...
//   load.stop();
//   JournalWrites writes = load.journal_writes(0);
//
// Thread safety: every member may be called from any thread; the histories only after stop().
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hatch/ref.hpp"
#include "test_interfaces.hpp"
#include "write_history.hpp"

namespace hatch::test {

enum class Target { journal, ledger, counts };

class CampaignLoad {
 public:
  // Starts the threads, on journal 0. `anomalies` must outlive the load; `seed` picks each
  // thread's mix of reads and writes.
  CampaignLoad(Ref<Journal> journal, Ref<Ledger> ledger, Ref<Counts> counts, std::uint64_t seed,
               Anomalies& anomalies);
  ~CampaignLoad();
  CampaignLoad(const CampaignLoad&) = delete;
  CampaignLoad& operator=(const CampaignLoad&) = delete;

  // Journal calls go to journal `index` (journal_name(index)) from now on; calls under way
  // finish where they are.
  void use_journal(int index, Ref<Journal> journal);
  // Writes to `target` acknowledged so far.
  std::uint64_t acked(Target target) const;
  // Appends to journal `index` acknowledged so far.
  std::uint64_t journal_acked(int index) const;
  // Whether journal `index` holds kJournalAppends acknowledged appends: from then on its
  // threads wait for the next journal, so that the state a move carries stays small (appends
  // to a journal on the origin are in-process calls, tens of thousands a second).
  bool journal_full(int index) const { return journal_acked(index) >= kJournalAppends; }
  static constexpr std::uint64_t kJournalAppends = 5000;

  struct Totals {
    std::uint64_t calls = 0;
    std::uint64_t acked = 0;    // writes
    std::uint64_t unknown = 0;  // writes
    std::uint64_t not_run = 0;  // writes
    std::uint64_t failed_reads = 0;
  };
  Totals totals() const;

  // Ends the threads and waits for them. Idempotent.
  void stop();
  // After stop(): the appends to journal `index`, from every thread.
  JournalWrites journal_writes(int index) const;
  // After stop(): every key of `target` (ledger or counts), with its writes.
  std::map<std::string, KeyWrites> keys(Target target) const;

 private:
  struct Worker;
  void run(Worker& worker);
  void run_journal(Worker& worker);
  void run_counter(Worker& worker);
  std::pair<int, Ref<Journal>> current_journal();
  void count(Target target, Outcome outcome);

  Ref<Ledger> ledger_;
  Ref<Counts> counts_;
  Anomalies& anomalies_;
  std::atomic<bool> stop_{false};

  mutable std::mutex journal_mu_;
  std::condition_variable journal_changed_;
  int journal_index_ = 0;  // guarded by journal_mu_
  Ref<Journal> journal_;   // guarded by journal_mu_
  std::array<std::atomic<std::uint64_t>, kJournals> journal_acked_{};

  mutable std::mutex totals_mu_;
  std::array<std::uint64_t, 3> acked_by_target_{};  // guarded by totals_mu_
  Totals totals_;                                   // guarded by totals_mu_

  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace hatch::test

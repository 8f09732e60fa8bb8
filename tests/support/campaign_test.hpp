// The fixture of the fault campaigns (tests/integration/*_campaign_test.cpp): an origin, a
// running load over a journal (stateful, one home), a ledger (keyed, replicated) and counts
// (keyed, sharded) on nodes (processes, or nodes in this process over the in-memory network),
// the history of every write (write_history.hpp), and the checks that the faults leave what the
// guide promises:
//   - after a move, the journal is where the report says (its old home on failure), and answers
//     there with every acknowledged entry;
//   - a journal whose only home was killed after it moved there is lost, as "Moving components"
//     in the guide says, and that is reported: its calls fail, and it cannot be moved away;
//   - a replica of the ledger that died, stalled or was cut off leaves through the failover;
//   - at the end, every component that was not lost is live where the origin says, and its state
//     holds exactly what its history allows.
// What it finds wrong goes to `anomalies_`; print_summary() fails the test if there is any.
//
// Seeded: the seed is printed, and HATCH_CAMPAIGN_SEED=<n> makes the same choices again (the
// timing of a run still differs).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "campaign_load.hpp"
#include "cluster_test.hpp"
#include "hatch/hatch.hpp"
#include "log_watch.hpp"
#include "write_history.hpp"

namespace hatch::test {

// A primary's calls to its backups give up before the origin's calls do, so that it drops a
// stalled backup and still answers the origin in time. Short enough for a stop or a cut to
// outlast both in a bounded test, long enough for every call of a loaded machine. A peer that
// stops reading loses its connection after 2 s.
inline constexpr int kCampaignNodeIoThreads = 8;
inline constexpr std::chrono::milliseconds kCampaignNodeCallTimeout{1000};
inline constexpr std::chrono::milliseconds kCampaignNodeStallTimeout{2000};
inline constexpr std::chrono::milliseconds kCampaignCallTimeout{2000};
// The same settings for a node process, as flags, and for a node in this process.
std::vector<std::string> campaign_node_flags();
NodeOptions campaign_node_options(const std::string& secret, const std::string& listen,
                                  std::shared_ptr<rpc::Network> network);

bool names(const Placement& placement, const std::string& host);

class CampaignTest : public ClusterTest {
 protected:
  CampaignTest();

  // Starts the origin, journal-0 at `journal_home`, the ledger replicated over `replicas` and
  // counts sharded over `shards`, and the load. Fails the test if they cannot be placed. The
  // origin dials over `network` (TCP when null).
  void start(const std::string& journal_home, const std::vector<std::string>& replicas,
             const std::vector<std::string>& shards,
             std::shared_ptr<rpc::Network> network = nullptr);

  Placement placement_of(const std::string& name) const;
  // The journal the load calls now.
  std::string journal() const { return journal_name(journal_index_); }

  // A delay for a fault in the middle of a move: from 20 us to `longest`, as likely in each
  // decade, so that it falls in every step of a move on a fast machine and on a slow one.
  std::chrono::microseconds random_delay(std::chrono::microseconds longest);
  template <class T>
  const T& pick(const std::vector<T>& among) {
    return among[std::uniform_int_distribution<std::size_t>(0, among.size() - 1)(rng_)];
  }

  // Waits until `done()` holds, checking it again after each line the runtime logs: a
  // transition logs its report once the directory has changed. False after a minute.
  bool wait_until(const std::function<bool()>& done);

  // Moves the journal to `home` (an ordinary move, not a fault), unless it is there.
  void move_journal(const std::string& home);
  // Journal `index` (the current one by default) is at `home`, and the origin's ref is bound
  // there.
  void expect_journal_at(const std::string& home, const std::string& after, int index = -1);
  // The journal answers at its home, with every entry acknowledged so far.
  void expect_journal_live(const std::string& after);
  // Calls the journal until it answers: once a cut link heals, TCP sends again what it lost,
  // after a backoff, and calls fail until it has. False after a minute.
  bool journal_answers();
  // The journal's only home was killed after it moved there: its calls must fail, and so must
  // a move away. The load goes on with a fresh journal on the origin.
  void give_up_journal(const std::string& after);
  // When the journal holds all the appends it takes, it stays where it is, to be checked at
  // the end, and the load goes on with a fresh one on the origin.
  void put_aside_full_journal();

  // Puts the ledger back on all of its replicas when a fault has left it on fewer.
  void restore_ledger();
  // Waits until the ledger's placement no longer names `home`: a replica that died, stalled or
  // was cut off, and missed writes, leaves through the origin's failover.
  void expect_failover(const std::string& home, const std::string& after);

  // The end: stops the load and checks every component.
  void check_final_states();
  // Prints the campaign's summary line (seed, moves, faults by kind, what they led to, calls,
  // anomalies) and fails the test if any anomaly was found.
  void print_summary(const std::string& what);

  LogWatch log_;  // first: it outlives the runtime objects whose lines it keeps
  Anomalies anomalies_;
  const std::uint64_t seed_;
  std::mt19937_64 rng_;
  std::map<std::string, int> faults_;    // by kind
  std::map<std::string, int> outcomes_;  // what the faults led to
  int moves_ = 0;

  std::vector<std::unique_ptr<NodeProcess>> stable_;  // nodes no fault kills
  std::vector<std::unique_ptr<Node>> in_process_;     // nodes over an in-memory network
  std::unique_ptr<Origin> origin_;
  Ref<Ledger> ledger_;
  Ref<Counts> counts_;
  std::vector<std::string> ledger_homes_;
  int journal_index_ = 0;
  std::string journal_home_;  // of the current journal
  std::vector<int> lost_journals_;
  std::map<int, std::string> kept_journals_;  // put aside: index -> home
  const std::chrono::steady_clock::time_point started_;
  std::unique_ptr<CampaignLoad> load_;  // last: it stops before what it calls goes away

 private:
  void next_journal();
  void check_keys(const std::string& name, const Binding& bound, Target target,
                  const std::function<std::int64_t(const std::string&)>& get,
                  const std::function<std::uint64_t()>& size);
};

}  // namespace hatch::test

#include "campaign_load.hpp"

#include <random>

#include "hatch/error.hpp"

namespace hatch::test {

namespace {

constexpr int kThreadsPerTarget = 2;
constexpr std::array<Target, 3> kTargets = {Target::journal, Target::ledger, Target::counts};

std::size_t slot(Target target) {
  return static_cast<std::size_t>(target);
}

// Calls `call`, and returns its outcome: acked when it returned. A failure the campaign does
// not expect is an anomaly.
template <class Call>
Outcome attempt(Anomalies& anomalies, const std::string& what, Call&& call) {
  try {
    call();
    return Outcome::acked;
  } catch (const RemoteError& e) {
    if (!expected_failure(e.code())) anomalies.add(what + " failed unexpectedly: " + e.what());
    return outcome_of(e.code());
  } catch (const std::exception& e) {
    anomalies.add(what + " threw: " + e.what());
    return Outcome::unknown;
  }
}

}  // namespace

struct CampaignLoad::Worker {
  Target target;
  int number;  // unique over all threads: a part of every id and key it writes
  std::mt19937_64 rng;
  std::map<int, JournalWrites> journals;  // by journal index
  std::map<std::string, KeyWrites> keys;
  std::thread thread;
};

CampaignLoad::CampaignLoad(Ref<Journal> journal, Ref<Ledger> ledger, Ref<Counts> counts,
                           std::uint64_t seed, Anomalies& anomalies)
    : ledger_(std::move(ledger)),
      counts_(std::move(counts)),
      anomalies_(anomalies),
      journal_(std::move(journal)) {
  for (Target target : kTargets) {
    for (int i = 0; i < kThreadsPerTarget; ++i) {
      const int number = static_cast<int>(workers_.size());
      workers_.push_back(
          std::make_unique<Worker>(target, number, std::mt19937_64(seed * 1000 + number)));
    }
  }
  for (auto& worker : workers_) worker->thread = std::thread([this, &w = *worker] { run(w); });
}

CampaignLoad::~CampaignLoad() {
  stop();
}

void CampaignLoad::stop() {
  {
    std::lock_guard lock(journal_mu_);
    stop_ = true;
  }
  journal_changed_.notify_all();
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
}

void CampaignLoad::use_journal(int index, Ref<Journal> journal) {
  {
    std::lock_guard lock(journal_mu_);
    journal_index_ = index;
    journal_ = std::move(journal);
  }
  journal_changed_.notify_all();
}

std::pair<int, Ref<Journal>> CampaignLoad::current_journal() {
  std::lock_guard lock(journal_mu_);
  return {journal_index_, journal_};
}

std::uint64_t CampaignLoad::acked(Target target) const {
  std::lock_guard lock(totals_mu_);
  return acked_by_target_[slot(target)];
}

std::uint64_t CampaignLoad::journal_acked(int index) const {
  return journal_acked_[static_cast<std::size_t>(index)].load();
}

CampaignLoad::Totals CampaignLoad::totals() const {
  std::lock_guard lock(totals_mu_);
  return totals_;
}

void CampaignLoad::count(Target target, Outcome outcome) {
  std::lock_guard lock(totals_mu_);
  ++totals_.calls;
  switch (outcome) {
    case Outcome::acked:
      ++totals_.acked;
      ++acked_by_target_[slot(target)];
      break;
    case Outcome::unknown:
      ++totals_.unknown;
      break;
    case Outcome::not_run:
      ++totals_.not_run;
      break;
  }
}

void CampaignLoad::run(Worker& worker) {
  if (worker.target == Target::journal) {
    run_journal(worker);
  } else {
    run_counter(worker);
  }
}

void CampaignLoad::run_journal(Worker& worker) {
  std::uint64_t sequence = 0;
  std::map<int, std::uint64_t> last_acked;  // per journal index
  while (!stop_.load()) {
    auto [index, journal] = current_journal();
    if (journal_full(index)) {
      std::unique_lock lock(journal_mu_);
      journal_changed_.wait(lock, [&] { return stop_.load() || journal_index_ != index; });
      continue;
    }
    const std::string name = journal_name(index);
    auto last = last_acked.find(index);
    if (last != last_acked.end() && worker.rng() % 4 == 0) {
      std::uint64_t times = 0;
      const Outcome o =
          attempt(anomalies_, name + " read", [&] { times = journal->times(last->second); });
      if (o == Outcome::acked && times != 1) {
        anomalies_.add(name + ": acknowledged entry " + std::to_string(last->second) +
                       " read back " + std::to_string(times) + " times");
      }
      std::lock_guard lock(totals_mu_);
      ++totals_.calls;
      if (o != Outcome::acked) ++totals_.failed_reads;
      continue;
    }
    const std::uint64_t id = (static_cast<std::uint64_t>(worker.number + 1) << 40) | ++sequence;
    std::uint64_t times = 0;
    const Outcome o = attempt(anomalies_, name + " append", [&] { times = journal->append(id); });
    worker.journals[index].record(id, o);
    if (o == Outcome::acked) {
      ++journal_acked_[static_cast<std::size_t>(index)];
      last_acked[index] = id;
      if (times != 1) {
        anomalies_.add(name + ": entry " + std::to_string(id) + " was applied " +
                       std::to_string(times) + " times");
      }
    }
    count(Target::journal, o);
  }
}

void CampaignLoad::run_counter(Worker& worker) {
  const bool ledger = worker.target == Target::ledger;
  const std::string what = ledger ? "ledger" : "counts";
  int key_number = 0;
  auto key_name = [&] {
    return "t" + std::to_string(worker.number) + "-" + std::to_string(key_number);
  };
  while (!stop_.load()) {
    if (worker.keys[key_name()].full()) ++key_number;
    const std::string key = key_name();
    KeyWrites& writes = worker.keys[key];
    if (writes.size() > 0 && worker.rng() % 4 == 0) {
      std::int64_t value = 0;
      const Outcome o = attempt(anomalies_, what + " read",
                                [&] { value = ledger ? ledger_->get(key) : counts_->get(key); });
      if (o == Outcome::acked) {
        // A ledger read may come from a stale backup; a counts key has one copy.
        if (std::string wrong = writes.check(value, !ledger); !wrong.empty()) {
          anomalies_.add(what + " key " + key + " read back: " + wrong);
        }
      }
      std::lock_guard lock(totals_mu_);
      ++totals_.calls;
      if (o != Outcome::acked) ++totals_.failed_reads;
      continue;
    }
    const std::int64_t delta = writes.next_delta();
    std::int64_t after = 0;
    const Outcome o = attempt(anomalies_, what + " add", [&] {
      after = ledger ? ledger_->add(key, delta) : counts_->add(key, delta);
    });
    writes.record(o);
    // Every write acknowledged before this one was applied before it.
    if (o == Outcome::acked) {
      if (std::string wrong = writes.check(after, true); !wrong.empty()) {
        anomalies_.add(what + " key " + key + " answered: " + wrong);
      }
    }
    count(worker.target, o);
  }
}

JournalWrites CampaignLoad::journal_writes(int index) const {
  JournalWrites all;
  for (const auto& worker : workers_) {
    auto it = worker->journals.find(index);
    if (it != worker->journals.end()) all.merge(it->second);
  }
  return all;
}

std::map<std::string, KeyWrites> CampaignLoad::keys(Target target) const {
  std::map<std::string, KeyWrites> all;
  for (const auto& worker : workers_) {
    if (worker->target == target) all.insert(worker->keys.begin(), worker->keys.end());
  }
  return all;
}

}  // namespace hatch::test

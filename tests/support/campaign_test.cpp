#include "campaign_test.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "binding_of.hpp"

namespace hatch::test {

namespace {

constexpr std::uint64_t kDefaultSeed = 13;

std::uint64_t campaign_seed() {
  const char* env = std::getenv("HATCH_CAMPAIGN_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : kDefaultSeed;
}

// What a component's where() answers at `home`, a host of a placement.
std::string where_at(const std::string& home) {
  return home == "local" ? "origin" : home;
}

}  // namespace

std::vector<std::string> campaign_node_flags() {
  return {"--hatch-io-threads",       std::to_string(kCampaignNodeIoThreads),
          "--hatch-call-timeout-ms",  std::to_string(kCampaignNodeCallTimeout.count()),
          "--hatch-stall-timeout-ms", std::to_string(kCampaignNodeStallTimeout.count())};
}

NodeOptions campaign_node_options(const std::string& secret, const std::string& listen,
                                  std::shared_ptr<rpc::Network> network) {
  NodeOptions o;
  o.listen = listen;
  o.secret = secret;
  o.io_threads = kCampaignNodeIoThreads;
  o.call_timeout = kCampaignNodeCallTimeout;
  o.stall_timeout = kCampaignNodeStallTimeout;
  o.network = std::move(network);
  return o;
}

bool names(const Placement& placement, const std::string& host) {
  return std::find(placement.hosts.begin(), placement.hosts.end(), host) != placement.hosts.end();
}

CampaignTest::CampaignTest()
    : seed_(campaign_seed()), rng_(seed_), started_(std::chrono::steady_clock::now()) {
  std::cout << "fault campaign seed " << seed_ << " (rerun: HATCH_CAMPAIGN_SEED=" << seed_ << ")"
            << std::endl;
}

void CampaignTest::start(const std::string& journal_home, const std::vector<std::string>& replicas,
                         const std::vector<std::string>& shards,
                         std::shared_ptr<rpc::Network> network) {
  Options o = options();
  o.call_timeout = kCampaignCallTimeout;
  o.network = std::move(network);
  origin_ = std::make_unique<Origin>(Catalog::program(), o);
  ledger_homes_ = replicas;
  Ref<Journal> journal = origin_->get<Journal>(journal_name(0));
  ledger_ = origin_->get<Ledger>("ledger");
  counts_ = origin_->get<Counts>("counts");
  for (const TransitionReport& r : origin_->apply({{journal_name(0), Placement::on(journal_home)},
                                                   {"ledger", Placement::replicated(replicas)},
                                                   {"counts", Placement::sharded(shards)}})) {
    ASSERT_TRUE(r.ok) << r.to_string();
  }
  journal_home_ = journal_home;
  load_ = std::make_unique<CampaignLoad>(journal, ledger_, counts_, seed_, anomalies_);
}

Placement CampaignTest::placement_of(const std::string& name) const {
  return origin_->placements().at(name);
}

std::chrono::microseconds CampaignTest::random_delay(std::chrono::microseconds longest) {
  std::uniform_real_distribution<double> exponent(std::log(20.0),
                                                  std::log(static_cast<double>(longest.count())));
  return std::chrono::microseconds(static_cast<std::int64_t>(std::exp(exponent(rng_))));
}

bool CampaignTest::wait_until(const std::function<bool()>& done) {
  const auto guard = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  for (;;) {
    const int seen = log_.lines();
    if (done()) return true;
    if (std::chrono::steady_clock::now() > guard || !log_.wait_beyond(seen)) return false;
  }
}

void CampaignTest::move_journal(const std::string& home) {
  if (home == journal_home_) return;
  ++moves_;
  const TransitionReport r = origin_->relocate(journal(), home);
  if (r.ok) journal_home_ = home;
  expect_journal_at(journal_home_, r.to_string());
}

void CampaignTest::expect_journal_at(const std::string& home, const std::string& after, int index) {
  const std::string name = journal_name(index < 0 ? journal_index_ : index);
  const Placement expected = Placement::on(home);
  const Placement now = placement_of(name);
  const Binding bound = origin_->get<Journal>(name).binding();
  if (now != expected || bound != binding_of(expected)) {
    anomalies_.add(name + " is at " + now.to_string() + ", bound " + bound.to_string() +
                   ", after " + after + "; expected at " + expected.to_string());
  }
}

void CampaignTest::expect_journal_live(const std::string& after) {
  Ref<Journal> journal = origin_->get<Journal>(this->journal());
  const std::uint64_t acked = load_->journal_acked(journal_index_);
  try {
    if (const std::string where = journal->where(); where != where_at(journal_home_)) {
      anomalies_.add(this->journal() + " answers from " + where + " after " + after);
    }
    if (const std::uint64_t size = journal->size(); size < acked) {
      anomalies_.add(this->journal() + " holds " + std::to_string(size) + " entries after " +
                     after + ", but " + std::to_string(acked) + " were acknowledged");
    }
  } catch (const RemoteError& e) {
    anomalies_.add(this->journal() + " does not answer at its home after " + after + ": " +
                   e.what());
  }
}

bool CampaignTest::journal_answers() {
  Ref<Journal> journal = origin_->get<Journal>(this->journal());
  const auto guard = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  for (;;) {
    try {
      journal->size();
      return true;
    } catch (const RemoteError&) {
      if (std::chrono::steady_clock::now() > guard) return false;
    }
  }
}

void CampaignTest::give_up_journal(const std::string& after) {
  Ref<Journal> lost = origin_->get<Journal>(journal());
  try {
    lost->size();
    anomalies_.add(journal() + " answered after its only home was killed in " + after);
  } catch (const RemoteError&) {
  }
  if (const TransitionReport away = origin_->relocate(journal(), "local"); away.ok) {
    anomalies_.add(journal() + " moved away from its killed home: " + away.to_string());
  }
  lost_journals_.push_back(journal_index_);
  next_journal();
}

void CampaignTest::put_aside_full_journal() {
  if (!load_->journal_full(journal_index_)) return;
  kept_journals_[journal_index_] = journal_home_;
  next_journal();
}

void CampaignTest::next_journal() {
  ++journal_index_;
  journal_home_ = "local";
  load_->use_journal(journal_index_, origin_->get<Journal>(journal()));
}

void CampaignTest::restore_ledger() {
  const Placement full = Placement::replicated(ledger_homes_);
  if (placement_of("ledger") == full) return;
  ++moves_;
  const TransitionReport r = origin_->apply({{"ledger", full}}).front();
  if (!r.ok) anomalies_.add("the ledger could not return to its replicas: " + r.to_string());
}

void CampaignTest::expect_failover(const std::string& home, const std::string& after) {
  if (!wait_until([&] { return !names(placement_of("ledger"), home); })) {
    anomalies_.add("the ledger still names " + home + " a minute after " + after + ": " +
                   placement_of("ledger").to_string());
  }
}

void CampaignTest::check_final_states() {
  load_->stop();
  kept_journals_[journal_index_] = journal_home_;
  for (const auto& [index, home] : kept_journals_) {
    const std::string name = journal_name(index);
    expect_journal_at(home, "the campaign", index);
    try {
      const std::string wrong =
          load_->journal_writes(index).check(origin_->get<Journal>(name)->entries());
      if (!wrong.empty()) anomalies_.add(name + " at the end: " + wrong);
    } catch (const RemoteError& e) {
      anomalies_.add(name + " does not answer at the end: " + e.what());
    }
  }
  for (int lost : lost_journals_) {
    try {
      origin_->get<Journal>(journal_name(lost))->size();
      anomalies_.add(journal_name(lost) + ", lost with its home, answers at the end");
    } catch (const RemoteError&) {
    }
  }
  check_keys(
      "ledger", ledger_.binding(), Target::ledger,
      [&](const std::string& key) { return ledger_->get(key); }, [&] { return ledger_->size(); });
  check_keys(
      "counts", counts_.binding(), Target::counts,
      [&](const std::string& key) { return counts_->get(key); }, [&] { return counts_->size(); });
  try {
    std::vector<std::string> hosts = counts_->hosts();
    std::vector<std::string> shards = placement_of("counts").hosts;
    std::sort(hosts.begin(), hosts.end());
    std::sort(shards.begin(), shards.end());
    if (hosts != shards) anomalies_.add("counts shards do not answer from their placement");
  } catch (const RemoteError& e) {
    anomalies_.add(std::string("counts shards do not all answer at the end: ") + e.what());
  }
}

void CampaignTest::check_keys(const std::string& name, const Binding& bound, Target target,
                              const std::function<std::int64_t(const std::string&)>& get,
                              const std::function<std::uint64_t()>& size) {
  const Placement placement = placement_of(name);
  if (bound != binding_of(placement)) {
    anomalies_.add(name + " is at " + placement.to_string() + " but bound " + bound.to_string());
  }
  try {
    std::uint64_t present = 0;
    for (const auto& [key, writes] : load_->keys(target)) {
      const std::int64_t value = get(key);
      present += value != 0 ? 1 : 0;
      if (std::string wrong = writes.check(value, true); !wrong.empty()) {
        anomalies_.add(name + " key " + key + " at the end: " + wrong);
      }
    }
    if (const std::uint64_t n = size(); n != present) {
      anomalies_.add(name + " holds " + std::to_string(n) + " keys at the end, " +
                     std::to_string(present) + " were written");
    }
  } catch (const RemoteError& e) {
    anomalies_.add(name + " does not answer at the end: " + e.what());
  }
}

void CampaignTest::print_summary(const std::string& what) {
  const CampaignLoad::Totals t = load_->totals();
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_);
  std::ostringstream line;
  line << what << ": seed " << seed_ << ", " << moves_ << " moves, faults:";
  for (const auto& [kind, n] : faults_) line << " " << kind << " " << n << ",";
  line << " outcomes:";
  for (const auto& [outcome, n] : outcomes_) line << " " << outcome << " " << n << ",";
  line << " calls " << t.calls << " (writes " << t.acked << " acknowledged, " << t.unknown
       << " unknown, " << t.not_run << " not run; " << t.failed_reads << " reads failed), "
       << kept_journals_.size() << " journals checked, " << lost_journals_.size()
       << " lost with their home; anomalies " << anomalies_.count() << ", " << std::fixed
       << std::setprecision(1) << seconds.count() << " s";
  std::cout << line.str() << std::endl;
  EXPECT_EQ(anomalies_.count(), 0u) << "seed " << seed_ << ":\n" << anomalies_.first(20);
}

}  // namespace hatch::test

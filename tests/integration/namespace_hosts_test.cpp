// Many hosts (issue 15): node processes in network namespaces of their own, each a host with an
// address of its own on one bridge (net_hosts.hpp), the links slowed down by the kernel (netem)
// where it can.
//   - An origin in a namespace whose hosts file gives one name the addresses of three hosts
//     finds, through dns:NAME:PORT, exactly those three nodes, and reaches each.
//   - A keyed and stateful load across four hosts goes on through a move, a node that joins, a
//     node that drains and a node that is killed: no acknowledged write is lost or applied twice
//     (write_history.hpp), and exactly the component whose only home was the killed node is
//     reported lost.
// These tests need root, `ip` and `tc` (and netem for the slowed-down links); without them they
// skip, saying why.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cluster_test.hpp"
#include "hatch/hatch.hpp"
#include "log_watch.hpp"
#include "net_hosts.hpp"
#include "node_process.hpp"
#include "program_process.hpp"
#include "test_interfaces.hpp"
#include "write_history.hpp"

namespace hatch::test {
namespace {

constexpr std::chrono::seconds kBound{60};  // only a hang takes this long

using NamespaceHosts = ClusterTest;

std::string skip_message(const std::string& why) {
  return "SKIPPED, NOT RUN (this is no pass): hosts in network namespaces cannot be made here: " +
         why;
}

TEST_F(NamespaceHosts, DnsDiscoveryFindsEveryHostANameResolvesTo) {
  if (std::string why = NetHosts::unavailable(); !why.empty()) GTEST_SKIP() << skip_message(why);
  constexpr std::size_t kNodes = 3;
  constexpr std::size_t kOriginHost = kNodes;  // the fourth namespace
  NetHosts hosts(kNodes + 1);
  std::vector<std::unique_ptr<NodeProcess>> nodes;
  std::vector<std::string> addresses;
  std::vector<std::string> expected;
  for (std::size_t i = 0; i < kNodes; ++i) {
    nodes.push_back(std::make_unique<NodeProcess>(secret_.path(), hosts.address(i) + ":7000",
                                                  std::vector<std::string>{}, "/proc/self/exe", 0,
                                                  hosts.name(i)));
    addresses.push_back(hosts.address(i));
    expected.push_back(hosts.address(i) + ":7000");
    ASSERT_EQ(nodes.back()->address(), expected.back());
  }
  std::sort(expected.begin(), expected.end());
  hosts.write_hosts_file(kOriginHost, "hatch-nodes", addresses);

  // The origin runs in its namespace through `ip netns exec`, which puts the hosts file over
  // /etc/hosts there: this process's own /etc/hosts knows no hatch-nodes.
  std::vector<std::string> command = hosts.exec_prefix(kOriginHost);
  command.insert(command.end(),
                 {std::filesystem::read_symlink("/proc/self/exe").string(), "--members-probe",
                  "--hatch-nodes", "dns:hatch-nodes:7000", "--hatch-secret-file", secret_.path(),
                  "--hatch-call-timeout-ms", "30000", "--hatch-log-level", "warn"});
  ProgramProcess probe(command.front(),
                       std::vector<std::string>(command.begin() + 1, command.end()));
  const std::optional<std::string> end = probe.wait_for_line([](const std::string& line) {
    return line == "members probe done" || line.rfind("members probe failed", 0) == 0;
  });
  const int status = probe.stop(0);  // it has ended, or ends now: stop() reaps it
  std::string said;
  for (const std::string& line : probe.lines()) said += line + "\n";
  ASSERT_EQ(end.value_or("(no last line)"), "members probe done") << said;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "wait status " << status;

  std::vector<std::string> members;
  std::vector<std::string> answers;
  for (const std::string& line : probe.lines()) {
    if (line.rfind("member ", 0) == 0) members.push_back(line.substr(7));
    if (line.rfind("echo on ", 0) == 0) answers.push_back(line);
  }
  std::sort(members.begin(), members.end());
  EXPECT_EQ(members, expected) << said;
  std::vector<std::string> want_answers;
  for (const std::string& node : expected) {
    want_answers.push_back("echo on " + node + " answers from " + node);
  }
  EXPECT_EQ(answers, want_answers) << said;
}

// Writes, without pause, to a journal (stateful, one home), a ledger and counts (keyed), each
// from a thread of its own, and records what each write did. Bounded: each thread stops after
// kMaxWrites writes (the journal's, kMaxAppends) or kMaxTime, whichever comes first, if stop()
// has not come before. The journal's bound is the larger: while it is on the origin (between a
// drain and the next move) its appends are calls in this process, tens of thousands a second.
class BoundedLoad {
 public:
  static constexpr std::uint64_t kMaxWrites = 100000;
  static constexpr std::uint64_t kMaxAppends = 400000;
  static constexpr std::chrono::seconds kMaxTime{90};
  static constexpr std::size_t kThreads = 3;  // journal, ledger, counts

  BoundedLoad(Ref<Journal> journal, Ref<Ledger> ledger, Ref<Counts> counts, Anomalies& anomalies)
      : journal_(std::move(journal)),
        ledger_(std::move(ledger)),
        counts_(std::move(counts)),
        anomalies_(anomalies),
        deadline_(std::chrono::steady_clock::now() + kMaxTime) {
    for (std::size_t t = 0; t < kThreads; ++t) threads_[t] = std::thread([this, t] { run(t); });
  }
  ~BoundedLoad() { stop(); }
  BoundedLoad(const BoundedLoad&) = delete;
  BoundedLoad& operator=(const BoundedLoad&) = delete;

  void stop() {
    stop_ = true;
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  // Waits until every thread has had `writes` more writes acknowledged than now: the load goes
  // on. False when a thread ended first (its bound) or after kBound.
  bool wait_progress(std::uint64_t writes) {
    std::unique_lock lock(mu_);
    std::array<std::uint64_t, kThreads> want{};
    for (std::size_t t = 0; t < kThreads; ++t) want[t] = acked_[t] + writes;
    return progressed_.wait_for(lock, kBound, [&] {
      for (std::size_t t = 0; t < kThreads; ++t) {
        if (acked_[t] < want[t] && !ended_[t]) return false;
      }
      return true;
    }) && std::none_of(ended_.begin(), ended_.end(), [](bool e) { return e; });
  }

  std::uint64_t acked() const {
    std::lock_guard lock(mu_);
    return acked_[0] + acked_[1] + acked_[2];
  }
  // After stop().
  const JournalWrites& journal_writes() const { return journal_writes_; }
  const std::map<std::string, KeyWrites>& keys(std::size_t thread) const { return keys_[thread]; }

 private:
  template <class Call>
  Outcome attempt(const std::string& what, Call&& call) {
    try {
      call();
      return Outcome::acked;
    } catch (const RemoteError& e) {
      if (!expected_failure(e.code())) anomalies_.add(what + " failed unexpectedly: " + e.what());
      return outcome_of(e.code());
    } catch (const std::exception& e) {
      anomalies_.add(what + " threw: " + e.what());
      return Outcome::unknown;
    }
  }

  void run(std::size_t thread) {
    std::uint64_t sequence = 0;
    int key_number = 0;
    const std::uint64_t bound = thread == 0 ? kMaxAppends : kMaxWrites;
    for (std::uint64_t n = 0; n < bound && !stop_ && std::chrono::steady_clock::now() < deadline_;
         ++n) {
      Outcome o = Outcome::unknown;
      if (thread == 0) {
        const std::uint64_t id = ++sequence;
        std::uint64_t times = 0;
        o = attempt("journal append", [&] { times = journal_->append(id); });
        journal_writes_.record(id, o);
        if (o == Outcome::acked && times != 1) {
          anomalies_.add("journal entry " + std::to_string(id) + " was applied " +
                         std::to_string(times) + " times");
        }
      } else {
        const bool ledger = thread == 1;
        std::map<std::string, KeyWrites>& keys = keys_[thread];
        if (keys["k" + std::to_string(key_number)].full()) ++key_number;
        const std::string key = "k" + std::to_string(key_number);
        KeyWrites& writes = keys[key];
        const std::int64_t delta = writes.next_delta();
        std::int64_t after = 0;
        o = attempt(ledger ? "ledger add" : "counts add",
                    [&] { after = ledger ? ledger_->add(key, delta) : counts_->add(key, delta); });
        writes.record(o);
        if (o == Outcome::acked) {
          if (std::string wrong = writes.check(after, true); !wrong.empty()) {
            anomalies_.add(std::string(ledger ? "ledger" : "counts") + " key " + key +
                           " answered: " + wrong);
          }
        }
      }
      if (o == Outcome::acked) {
        std::lock_guard lock(mu_);
        ++acked_[thread];
        progressed_.notify_all();
      }
    }
    std::lock_guard lock(mu_);
    ended_[thread] = true;
    progressed_.notify_all();
  }

  Ref<Journal> journal_;
  Ref<Ledger> ledger_;
  Ref<Counts> counts_;
  Anomalies& anomalies_;
  const std::chrono::steady_clock::time_point deadline_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable progressed_;
  std::array<std::uint64_t, kThreads> acked_{};                  // guarded by mu_
  std::array<bool, kThreads> ended_{};                           // guarded by mu_
  JournalWrites journal_writes_;                                 // thread 0's
  std::array<std::map<std::string, KeyWrites>, kThreads> keys_;  // threads 1 and 2
  std::array<std::thread, kThreads> threads_;
};

// Every key `writes` lists holds exactly what its writes allow, and no other key exists.
void check_keys(const std::string& what, const std::map<std::string, KeyWrites>& writes,
                const std::function<std::int64_t(const std::string&)>& get, std::uint64_t size,
                Anomalies& anomalies) {
  std::uint64_t present = 0;
  for (const auto& [key, history] : writes) {
    const std::int64_t value = get(key);
    present += value != 0 ? 1 : 0;
    if (std::string wrong = history.check(value, true); !wrong.empty()) {
      anomalies.add(what + " key " + key + " at the end: " + wrong);
    }
  }
  if (size != present) {
    anomalies.add(what + " holds " + std::to_string(size) + " keys at the end, " +
                  std::to_string(present) + " were written");
  }
}

// Four node hosts over `link`; nodes 0-2 listed, node 3 joins later. journal-0 lives only on
// node 2, which is killed; the load writes journal-1, the ledger and counts throughout.
void kv_across_four_hosts(const std::string& secret_file, Options o, const NetLink& link) {
  LogWatch log;
  NetHosts hosts(4, link);
  auto start_node = [&](std::size_t i, const std::vector<std::string>& extra = {}) {
    return std::make_unique<NodeProcess>(secret_file, hosts.address(i) + ":0", extra,
                                         "/proc/self/exe", 0, hosts.name(i));
  };
  std::unique_ptr<NodeProcess> n0 = start_node(0);
  std::unique_ptr<NodeProcess> n1 = start_node(1);
  std::unique_ptr<NodeProcess> n2 = start_node(2);
  const std::string a0 = n0->address();
  const std::string a1 = n1->address();
  const std::string a2 = n2->address();
  o.listen = hosts.origin_address() + ":0";
  o.nodes = {a0, a1, a2};
  // Short enough for a test; the test waits on the log, not on these.
  o.heartbeat_interval = std::chrono::milliseconds(100);
  o.node_timeout = std::chrono::milliseconds(1500);
  Origin origin(Catalog::program(), o);
  ASSERT_EQ(origin.listen_address().rfind(hosts.origin_address() + ":", 0), 0u)
      << origin.listen_address();
  std::vector<std::string> listed{a0, a1, a2};
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(origin.members(), listed);

  Ref<Journal> lost_journal = origin.get<Journal>(journal_name(0));
  Ref<Journal> journal = origin.get<Journal>(journal_name(1));
  Ref<Ledger> ledger = origin.get<Ledger>("ledger");
  Ref<Counts> counts = origin.get<Counts>("counts");
  for (const TransitionReport& r : origin.apply({{journal_name(0), Placement::on(a2)},
                                                 {journal_name(1), Placement::on(a0)},
                                                 {"ledger", Placement::replicated({a0, a1})},
                                                 {"counts", Placement::on(a0)}})) {
    ASSERT_TRUE(r.ok) << r.to_string();
  }
  for (std::uint64_t id = 1; id <= 10; ++id) ASSERT_EQ(lost_journal->append(id), 1u);
  EXPECT_EQ(lost_journal->where(), a2);

  Anomalies anomalies;
  BoundedLoad load(journal, ledger, counts, anomalies);
  constexpr std::uint64_t kSteady = 50;  // writes of each thread between two steps
  const char* const kLoadEnded =
      "a thread of the load reached its bound, or wrote nothing for a minute";
  ASSERT_TRUE(load.wait_progress(kSteady)) << kLoadEnded;

  // A move: the journal, with its state, from host 0 to host 1.
  const TransitionReport moved = origin.relocate(journal_name(1), a1);
  ASSERT_TRUE(moved.ok) << moved.to_string();
  ASSERT_TRUE(load.wait_progress(kSteady)) << kLoadEnded;

  // A join: host 3's node finds the origin at the bridge's address, and counts moves there.
  std::unique_ptr<NodeProcess> n3 = start_node(3, {"--hatch-join", origin.listen_address()});
  const std::string a3 = n3->address();
  ASSERT_TRUE(ClusterTest::wait_for_member(origin, a3));
  const TransitionReport joined = origin.relocate("counts", a3);
  ASSERT_TRUE(joined.ok) << joined.to_string();
  ASSERT_TRUE(load.wait_progress(kSteady)) << kLoadEnded;

  // A drain: node 1 takes the journal and its ledger replica away before it exits.
  const int drained = n1->kill_and_reap(SIGTERM);
  EXPECT_TRUE(WIFEXITED(drained) && WEXITSTATUS(drained) == 0) << "wait status " << drained;
  EXPECT_EQ(log.count("node " + a1 + " drained: 2 components moved away, 0 could not be"), 1);
  EXPECT_EQ(origin.placements().at(journal_name(1)), Placement::local());
  EXPECT_EQ(origin.placements().at("ledger"), Placement::parse(a0));
  ASSERT_TRUE(load.wait_progress(kSteady)) << kLoadEnded;
  // Back on a host: on the node that joined.
  const TransitionReport back = origin.relocate(journal_name(1), a3);
  ASSERT_TRUE(back.ok) << back.to_string();
  ASSERT_TRUE(load.wait_progress(kSteady)) << kLoadEnded;

  // A death: node 2, journal-0's only home, is killed.
  n2->kill_and_reap(SIGKILL);
  ASSERT_TRUE(log.wait_for("node " + a2 + " has answered no heartbeat"));
  ASSERT_TRUE(log.wait_for("component '" + journal_name(0) + "' kept its"));
  ASSERT_TRUE(load.wait_progress(kSteady)) << kLoadEnded;
  load.stop();

  const std::vector<Origin::LostComponent> lost = origin.lost_components();
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].component, journal_name(0));
  EXPECT_EQ(lost[0].node, a2);
  EXPECT_THROW(lost_journal->size(), RemoteError);
  std::vector<std::string> alive{a0, a3};
  std::sort(alive.begin(), alive.end());
  EXPECT_EQ(origin.members(), alive);

  // Every component that was not lost holds exactly what its history allows.
  EXPECT_EQ(origin.placements().at(journal_name(1)), Placement::on(a3));
  EXPECT_EQ(origin.placements().at("counts"), Placement::on(a3));
  EXPECT_EQ(journal->where(), a3);
  if (std::string wrong = load.journal_writes().check(journal->entries()); !wrong.empty()) {
    anomalies.add(journal_name(1) + " at the end: " + wrong);
  }
  check_keys(
      "ledger", load.keys(1), [&](const std::string& key) { return ledger->get(key); },
      ledger->size(), anomalies);
  check_keys(
      "counts", load.keys(2), [&](const std::string& key) { return counts->get(key); },
      counts->size(), anomalies);
  std::cout << "many hosts: " << load.acked() << " writes acknowledged; journal "
            << load.journal_writes().acked() << " acknowledged, "
            << load.journal_writes().count(Outcome::unknown) << " unknown, "
            << load.journal_writes().count(Outcome::not_run) << " not run; anomalies "
            << anomalies.count() << std::endl;
  EXPECT_EQ(anomalies.count(), 0u) << anomalies.first(20);
}

TEST_F(NamespaceHosts, KvAcrossFourHostsSurvivesAMoveAJoinADrainAndAKill) {
  if (std::string why = NetHosts::unavailable(); !why.empty()) GTEST_SKIP() << skip_message(why);
  kv_across_four_hosts(secret_.path(), options(), NetLink{});
}

TEST_F(NamespaceHosts, KvAcrossFourHostsWithNetemSurvivesAMoveAJoinADrainAndAKill) {
  const NetLink link{.delay_ms = 2};
  if (std::string why = NetHosts::unavailable(link); !why.empty()) {
    GTEST_SKIP() << skip_message(why);
  }
  kv_across_four_hosts(secret_.path(), options(), link);
}

}  // namespace
}  // namespace hatch::test

// A fault campaign under a running load, with nodes as real processes (issue 13). Over the
// fixture's load (campaign_test.hpp: a journal, a replicated ledger and sharded counts on three
// node processes), the campaign:
//   - moves a component to a node process and SIGKILLs that node at a random point of the move,
//     then starts a fresh node at the same address, 200 times (20 under AddressSanitizer): the
//     journal (from the origin or a node), or, one time in four, the ledger (to a fourth
//     replica);
//   - stops a backup of the ledger (SIGSTOP) until its primary and the origin have both given
//     up on it, longer than either's call timeout, then resumes it;
//   - lets a peer that proves the secret send calls to a node and never read the answers.
// What each fault must leave is in campaign_test.hpp; the history of every write is checked at
// the end. partition_campaign_test.cpp cuts a node off instead.
#include <csignal>
#include <functional>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "campaign_test.hpp"
#include "node_process.hpp"
#include "raw_peer.hpp"

namespace hatch::test {
namespace {

#if defined(__SANITIZE_ADDRESS__)
// Under AddressSanitizer every process runs several times slower, and a node takes about a
// second to start: fewer kills keep the test within its time.
constexpr int kKills = 20;
#else
constexpr int kKills = 200;
#endif
// One kill in this many, on average, falls in a move of the ledger; the others in a move of
// the journal.
constexpr int kLedgerEvery = 4;
// The latest point of a move at which a kill falls: kills are many and cheap, so they also fall
// after the moves of a slow machine have ended.
constexpr std::chrono::microseconds kKillWithin{100000};
// Answers (about 60 MB) beyond what the kernel's buffers between a node and a peer that never
// reads can hold (tcp_rmem's and tcp_wmem's maximum, 36 MB here), so that they wait in the
// node's outbox.
constexpr std::uint64_t kDeafCalls = 600000;
constexpr std::uint32_t kNoSuchComponent = 9999;

class FaultCampaign : public CampaignTest {
 protected:
  // A node process that the campaign kills, and starts again at the same address (at another
  // only if a process took the port meanwhile).
  void start_victim() {
    victim_ = std::make_unique<NodeProcess>(secret_.path(), "127.0.0.1:0", campaign_node_flags());
    victim_address_ = victim_->address();
  }
  void restart_victim() {
    try {
      victim_ =
          std::make_unique<NodeProcess>(secret_.path(), victim_address_, campaign_node_flags());
    } catch (const std::runtime_error&) {
      ++outcomes_["restarted at a new address"];
      start_victim();
    }
  }

  // Runs `move` and SIGKILLs the victim at a random point after it began; returns its report,
  // and in `ended_first` whether the move had ended before the kill.
  TransitionReport kill_victim_during(const std::function<TransitionReport()>& move,
                                      bool& ended_first) {
    const std::chrono::microseconds delay = random_delay(kKillWithin);
    std::future<TransitionReport> report = std::async(std::launch::async, move);
    // The fault's random point, or the move's end if that comes first: the report says what
    // it hit.
    ended_first = report.wait_for(delay) == std::future_status::ready;
    victim_->kill_and_reap(SIGKILL);
    ++moves_;
    ++faults_["kill"];
    return report.get();
  }

  // The journal goes to a home picked at random (if it is not there yet), then to the victim,
  // which is killed during that move.
  void kill_in_journal_move(const std::vector<std::string>& homes) {
    put_aside_full_journal();
    move_journal(pick(homes));
    const std::string target = victim_address_;
    bool ended_first = false;
    const TransitionReport r =
        kill_victim_during([&] { return origin_->relocate(journal(), target); }, ended_first);
    const std::string after = "'" + r.to_string() + "' and the target killed";
    restart_victim();
    if (!r.ok) {
      ++outcomes_["journal stayed"];
      expect_journal_at(journal_home_, after);
      expect_journal_live(after);
      return;
    }
    ++outcomes_[ended_first ? "journal lost (killed after the move)"
                            : "journal lost (killed late in the move)"];
    journal_home_ = target;
    expect_journal_at(target, after);
    give_up_journal(after);
  }

  // The ledger gains the victim as a replica, and the victim is killed during that move. If
  // it joined, the origin must take it out again.
  void kill_in_ledger_move() {
    restore_ledger();
    Placement wider = placement_of("ledger");
    wider.hosts.push_back(victim_address_);
    const std::string target = victim_address_;
    bool ended_first = false;
    const TransitionReport r = kill_victim_during(
        [&] {
          return origin_->apply({{"ledger", wider}}).front();
        },
        ended_first);
    const std::string after = "'" + r.to_string() + "' and the new replica killed";
    if (!r.ok) {
      ++outcomes_["ledger stayed"];
      if (names(placement_of("ledger"), target))
        anomalies_.add("the ledger names " + target + " after " + after);
    } else {
      ++outcomes_[ended_first ? "ledger failed over (killed after the move)"
                              : "ledger failed over (killed late in the move)"];
      expect_failover(target, after);
    }
    // Only now: a node restarted at a replica's address would answer its calls
    // unknown_component, which the guide leaves uncovered ("Failures").
    restart_victim();
  }

  // A backup of the ledger stops until both its primary (which drops it) and the origin
  // (whose failover cannot gate it, and will try again) have given up on it; then it resumes,
  // and the failover takes it out.
  void stop_a_backup() {
    restore_ledger();
    const Placement replicas = placement_of("ledger");
    const std::string backup =
        pick(std::vector<std::string>(replicas.hosts.begin() + 1, replicas.hosts.end()));
    NodeProcess& node = stable_node(backup);
    const std::string retry =
        "the replica of 'ledger' at " + backup + " missed writes and is still in its set";
    const int before = log_.count(retry);
    node.pause();
    const bool outlasted = log_.wait_for(retry, before + 1);
    node.resume();
    ++faults_["stop"];
    if (!outlasted) {
      anomalies_.add("the origin never gave up on the stopped backup " + backup + "; its log:\n" +
                     node.log());
    }
    expect_failover(backup, "the backup " + backup + " stopped and resumed");
  }

  // A peer that proves the secret sends calls to the ledger's primary and reads no answer. The
  // node must go on serving the others meanwhile, and drop the peer once its answers have
  // waited for the stall timeout.
  void deaf_peer() {
    restore_ledger();
    const std::string address = placement_of("ledger").hosts.front();
    NodeProcess& node = stable_node(address);
    RawPeer deaf(secret_.bytes(), address);
    std::string calls;
    for (std::uint64_t id = 1; id <= kDeafCalls; ++id) {
      calls += RawPeer::request(kNoSuchComponent, 0, id);
    }
    const std::uint64_t served = load_->acked(Target::ledger);
    deaf.send(std::move(calls));
    ++faults_["deaf peer"];
    if (!node.wait_for_log("while bytes waited to be sent to it")) {
      anomalies_.add(address + " never dropped the peer that does not read:\n" + node.log());
      return;
    }
    // The ledger's writes go through its primary there: some were answered meanwhile.
    if (load_->acked(Target::ledger) == served) {
      anomalies_.add(address + " answered no ledger write while a peer did not read");
    }
    // Reading now drains what the node sent before it closed the connection.
    if (!deaf.wait_closed()) anomalies_.add(address + " left the deaf peer's connection open");
  }

  NodeProcess& stable_node(const std::string& address) {
    for (auto& node : stable_) {
      if (node->address() == address) return *node;
    }
    throw std::runtime_error("no stable node at " + address);
  }

  std::unique_ptr<NodeProcess> victim_;
  std::string victim_address_;
};

TEST_F(FaultCampaign, KilledTargetsAStoppedBackupAndADeafPeerLoseNoAcknowledgedWrite) {
  for (int i = 0; i < 3; ++i) {
    stable_.push_back(
        std::make_unique<NodeProcess>(secret_.path(), "127.0.0.1:0", campaign_node_flags()));
  }
  start_victim();
  std::vector<std::string> nodes;
  for (const auto& node : stable_) nodes.push_back(node->address());
  ASSERT_NO_FATAL_FAILURE(start("local", nodes, nodes));
  std::vector<std::string> homes = nodes;
  homes.push_back("local");
  const int stop_at = std::uniform_int_distribution<int>(kKills / 4, kKills / 2)(rng_);
  const int deaf_at = std::uniform_int_distribution<int>(kKills / 2 + 1, kKills * 3 / 4)(rng_);
  for (int i = 0; i < kKills; ++i) {
    if (i == stop_at) stop_a_backup();
    if (i == deaf_at) deaf_peer();
    const bool ledger = std::uniform_int_distribution<int>(1, kLedgerEvery)(rng_) == 1;
    // A round may put a full journal aside and lose the next one.
    if (ledger || journal_index_ + 2 >= kJournals) {
      kill_in_ledger_move();
    } else {
      kill_in_journal_move(homes);
    }
  }
  restore_ledger();
  check_final_states();
  print_summary("fault campaign");
}

}  // namespace
}  // namespace hatch::test

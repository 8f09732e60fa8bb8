// Joining (Options::listen, NodeOptions::join): a node started with --hatch-join proves the
// secret at the origin's door, the origin dials it back, and it is a member from then on; a node
// that gives an address the origin cannot reach is told so. The autopilot's design space follows
// the members as nodes join and die.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cluster_test.hpp"
#include "design/design_space.hpp"
#include "hatch/hatch.hpp"
#include "log_watch.hpp"
#include "node_process.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

constexpr std::chrono::seconds kBound{60};  // only a hang takes this long

using NodeJoin = ClusterTest;

TEST_F(NodeJoin, ANodeJoinsARunningOriginAndComponentsMoveThere) {
  Options o = options();
  o.listen = "127.0.0.1:0";
  Origin origin(Catalog::program(), o);
  ASSERT_FALSE(origin.listen_address().empty());
  EXPECT_TRUE(origin.members().empty());
  Ref<Tally> tally = origin.get<Tally>("tally");
  ASSERT_EQ(tally->bump(3), 3);

  NodeProcess node(secret_.path(), "127.0.0.1:0", {"--hatch-join", origin.listen_address()});
  ASSERT_TRUE(wait_for_member(origin, node.address()));
  EXPECT_TRUE(node.wait_for_log("joined the origin at " + origin.listen_address()));

  const TransitionReport moved = origin.relocate("tally", node.address());
  ASSERT_TRUE(moved.ok) << moved.to_string();
  EXPECT_EQ(tally->bump(1), 4);
  EXPECT_EQ(tally.binding().hosts, std::vector<std::string>{node.address()});
}

// A loopback port that was free a moment ago: the node below must know its port before it
// listens, to advertise it in another spelling.
std::uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    throw std::runtime_error("cannot find a free loopback port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// A node that names itself "LocalHost:0P" is the member 127.0.0.1:P, the address it listens on
// and the one a placement on it spells.
TEST_F(NodeJoin, ANodeAdvertisingAnotherSpellingOfItsAddressIsOneMember) {
  Options o = options();
  o.listen = "127.0.0.1:0";
  Origin origin(Catalog::program(), o);
  const std::string port = std::to_string(free_loopback_port());
  NodeProcess node(
      secret_.path(), "127.0.0.1:" + port,
      {"--hatch-join", origin.listen_address(), "--hatch-advertise", "LocalHost:0" + port});
  ASSERT_EQ(node.address(), "127.0.0.1:" + port);
  ASSERT_TRUE(wait_for_member(origin, node.address()));
  EXPECT_EQ(origin.members(), std::vector<std::string>{node.address()});
  const TransitionReport moved = origin.relocate("tally", "localhost:" + port);
  ASSERT_TRUE(moved.ok) << moved.to_string();
  EXPECT_EQ(origin.members(), std::vector<std::string>{node.address()});
}

TEST_F(NodeJoin, ANodeJoinsAgainWhenItsOriginIsReplaced) {
  Options o = options();
  o.listen = "127.0.0.1:0";
  auto first = std::make_unique<Origin>(Catalog::program(), o);
  // The next origin takes the same door; the node, started after the door opened, must not
  // hold it open (a listener is close-on-exec).
  o.listen = first->listen_address();
  NodeProcess node(secret_.path(), "127.0.0.1:0", {"--hatch-join", o.listen});
  ASSERT_TRUE(wait_for_member(*first, node.address()));
  first.reset();  // it resigns: the node is without an origin
  ASSERT_TRUE(node.wait_for_log("resigned"));
  Origin second(Catalog::program(), o);
  ASSERT_TRUE(wait_for_member(second, node.address()));
  Ref<Tally> tally = second.get<Tally>("tally");
  ASSERT_TRUE(second.relocate("tally", node.address()).ok);
  EXPECT_EQ(tally->bump(2), 2);
}

TEST_F(NodeJoin, ANodeTheOriginCannotReachWhereItSaysIsToldWhyAndIsNoMember) {
  Options o = options();
  o.listen = "127.0.0.1:0";
  o.call_timeout = std::chrono::seconds(2);
  Origin origin(Catalog::program(), o);
  // Nothing listens at port 1: the origin's dial-back fails, and the node hears it.
  NodeProcess node(secret_.path(), "127.0.0.1:0",
                   {"--hatch-join", origin.listen_address(), "--hatch-advertise", "127.0.0.1:1"});
  EXPECT_TRUE(node.wait_for_log("the origin cannot reach the node at 127.0.0.1:1"));
  EXPECT_TRUE(origin.members().empty());
}

TEST_F(NodeJoin, ANodeWithoutTheSecretCannotJoin) {
  Options o = options();
  o.listen = "127.0.0.1:0";
  Origin origin(Catalog::program(), o);
  SecretFile other;
  NodeProcess node(other.path(), "127.0.0.1:0", {"--hatch-join", origin.listen_address()});
  EXPECT_TRUE(node.wait_for_log("could not join the origin at " + origin.listen_address()));
  EXPECT_TRUE(origin.members().empty());
}

TEST_F(NodeJoin, AJoinFlagWithoutANodeOrOnEveryAddressWithoutAdvertiseIsRefused) {
  const char* origin_side[] = {"app", "--hatch-join", "127.0.0.1:7100"};
  EXPECT_THROW(parse_flags(3, origin_side), UsageError);
  NodeOptions n;
  n.secret = secret_.bytes();
  n.listen = "0.0.0.0:0";
  n.join = "127.0.0.1:7100";
  try {
    Node node(Catalog::program(), n);
    ADD_FAILURE() << "a node on every address joined without --advertise";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--advertise"), std::string::npos) << e.what();
  }
}

// Calls `tally` from its own thread (entry calls) until destroyed.
class Load {
 public:
  explicit Load(Ref<Tally> tally) : tally_(std::move(tally)) {
    thread_ = std::thread([this] {
      while (!stop_) {
        try {
          tally_->bump(1);
        } catch (const std::exception&) {
          // A move the learner tries may fail: the load goes on.
        }
      }
    });
  }
  ~Load() {
    stop_ = true;
    thread_.join();
  }

 private:
  Ref<Tally> tally_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Waits, window after window, for a "nodes" decision whose reason contains `text`.
bool wait_nodes_decision(const Autopilot& pilot, const std::string& text) {
  for (std::uint64_t window = 1; window < 1000; ++window) {
    for (const AutopilotDecision& d : pilot.decisions()) {
      if (d.kind == "nodes" && d.why.find(text) != std::string::npos) return true;
    }
    if (!pilot.wait_for_window(window, kBound)) return false;
  }
  return false;
}

TEST_F(NodeJoin, TheAutopilotsDesignSpaceFollowsTheMembersAsNodesJoinAndDie) {
  NodeProcess a(secret_.path());
  Options o = options();
  o.listen = "127.0.0.1:0";
  o.nodes = {a.address()};
  o.heartbeat_interval = std::chrono::milliseconds(100);
  o.node_timeout = std::chrono::milliseconds(1500);
  Origin origin(Catalog::program(), o);
  Ref<Tally> tally = origin.get<Tally>("tally");
  Load load(tally);
  Autopilot pilot(origin, quick_learning());
  ASSERT_TRUE(pilot.wait_for_window(1, kBound));
  EXPECT_EQ(pilot.status().nodes, std::vector<std::string>{a.address()});
  const std::string one_node = pilot.status().design_space_size;

  NodeProcess b(secret_.path(), "127.0.0.1:0", {"--hatch-join", origin.listen_address()});
  ASSERT_TRUE(wait_nodes_decision(pilot, "+" + b.address()));
  std::vector<std::string> both = {a.address(), b.address()};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(pilot.status().nodes, both);
  EXPECT_NE(pilot.status().design_space_size, one_node);

  b.kill_and_reap(SIGKILL);
  ASSERT_TRUE(wait_nodes_decision(pilot, "-" + b.address()));
  EXPECT_EQ(pilot.status().nodes, std::vector<std::string>{a.address()});
  EXPECT_EQ(pilot.status().design_space_size, one_node);
  // Learning goes on over the nodes there are.
  const std::uint64_t after = pilot.status().windows;
  EXPECT_TRUE(pilot.wait_for_window(after + 2, kBound));
  EXPECT_TRUE(pilot.status().error.empty()) << pilot.status().error;
  pilot.stop();
}

// Members beyond DesignSpace::kMaxHosts are served but not placed on: the learner's space takes
// the first 63, and the autopilot says so instead of stopping.
TEST_F(NodeJoin, TheAutopilotPlacesOnTheFirstSixtyThreeOfMoreMembers) {
  NodeProcess a(secret_.path());
  Options o = options();
  o.nodes = {a.address()};
  // Listed nodes where nothing listens (connections are refused at once), never taken as dead
  // during the test.
  for (int i = 2; i < 2 + 70; ++i) o.nodes.push_back("127.0.0." + std::to_string(i) + ":9");
  o.node_timeout = std::chrono::hours(1);
  Origin origin(Catalog::program(), o);
  ASSERT_EQ(origin.members().size(), 71u);
  Ref<Tally> tally = origin.get<Tally>("tally");
  Load load(tally);
  Autopilot pilot(origin, quick_learning());
  ASSERT_TRUE(pilot.wait_for_window(1, kBound));
  std::vector<std::string> first = origin.members();
  first.resize(DesignSpace::kMaxHosts);
  EXPECT_EQ(pilot.status().nodes, first);
  bool said = false;
  for (const AutopilotDecision& d : pilot.decisions()) {
    said = said || d.why.find(
                       "71 nodes are members; the learner places components on the first "
                       "63") != std::string::npos;
  }
  EXPECT_TRUE(said);
  EXPECT_TRUE(pilot.status().error.empty()) << pilot.status().error;
  pilot.stop();
}

}  // namespace
}  // namespace hatch::test

// Heartbeats (runtime/node_monitor.hpp): the origin takes a node that answers none for the node
// timeout as dead, creates its stateless components again on the origin, drops its replicas,
// and reports, by name, exactly the components whose state lived only there. A node that was
// only stopped, and answers again, gets its components back.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "cluster_test.hpp"
#include "hatch/hatch.hpp"
#include "log_watch.hpp"
#include "node_process.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

using NodeDeath = ClusterTest;

// Short enough for a test, long enough that a loaded machine does not miss a heartbeat for
// the whole timeout: the test waits on the log, not on these.
Options watching(Options o) {
  o.heartbeat_interval = std::chrono::milliseconds(100);
  o.node_timeout = std::chrono::milliseconds(1500);
  return o;
}

bool dead(const Origin& origin, const std::string& node) {
  for (const Origin::NodeLink& link : origin.nodes()) {
    if (link.address == node) return link.dead;
  }
  return false;
}

TEST_F(NodeDeath, StatelessComesBackOnTheOriginReplicasFailOverAndTheLostAreNamed) {
  LogWatch log;
  NodeProcess a(secret_.path());
  NodeProcess b(secret_.path());
  Options o = watching(options());
  o.placements["echo"] = a.address();                                              // stateless
  o.placements["ledger"] = a.address();                                            // keyed state
  o.placements["tally"] = b.address();                                             // on a live node
  o.placements["counts"] = "replicated{" + a.address() + "," + b.address() + "}";  // replicas
  Origin origin(Catalog::program(), o);
  Ref<Echo> echo = origin.get<Echo>("echo");
  Ref<Ledger> ledger = origin.get<Ledger>("ledger");
  Ref<Tally> tally = origin.get<Tally>("tally");
  Ref<Counts> counts = origin.get<Counts>("counts");
  EXPECT_EQ(echo->where(), a.address());
  ASSERT_EQ(ledger->add("k", 5), 5);
  ASSERT_EQ(tally->bump(3), 3);
  for (int i = 1; i <= 10; ++i) ASSERT_EQ(counts->add("k", 1), i);
  EXPECT_TRUE(origin.lost_components().empty());

  a.kill_and_reap(SIGKILL);
  ASSERT_TRUE(log.wait_for("node " + a.address() + " has answered no heartbeat"));
  ASSERT_TRUE(log.wait_for("created stateless component 'echo' again on the origin"));
  ASSERT_TRUE(log.wait_for("component 'ledger' kept its keyed state only on dead node"));
  // The replica leaves the set through a failover transition of its own.
  const Placement survivor = Placement::parse(b.address());
  for (int seen = log.lines(); origin.placements().at("counts") != survivor; seen = log.lines()) {
    ASSERT_TRUE(log.wait_beyond(seen)) << origin.placements().at("counts").to_string();
  }

  EXPECT_TRUE(dead(origin, a.address()));
  EXPECT_FALSE(dead(origin, b.address()));
  const std::vector<Origin::LostComponent> lost = origin.lost_components();
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].component, "ledger");
  EXPECT_EQ(lost[0].node, a.address());
  EXPECT_EQ(log.count("kept its"), 1);  // tally, on a live node, is not lost
  // The stateless one serves again, from the origin; the others kept every write.
  EXPECT_EQ(echo->where(), "origin");
  EXPECT_EQ(origin.placements().at("echo"), Placement::local());
  EXPECT_EQ(counts->get("k"), 10);
  EXPECT_EQ(counts->add("k", 1), 11);
  EXPECT_EQ(tally->bump(1), 4);
  EXPECT_THROW(ledger->add("k", 1), RemoteError);
}

TEST_F(NodeDeath, ANodeThatAnswersAgainGetsItsComponentsBack) {
  LogWatch log;
  NodeProcess a(secret_.path());
  Options o = watching(options());
  o.call_timeout = std::chrono::seconds(2);
  o.placements["tally"] = a.address();
  Origin origin(Catalog::program(), o);
  Ref<Tally> tally = origin.get<Tally>("tally");
  ASSERT_EQ(tally->bump(7), 7);

  a.pause();  // a stopped process, a node cut off: no answer, but nothing is gone
  ASSERT_TRUE(log.wait_for("component 'tally' kept its whole state only on dead node"));
  ASSERT_EQ(origin.lost_components().size(), 1u);
  a.resume();
  ASSERT_TRUE(log.wait_for("'tally' on node " + a.address() + " is reachable again"));
  EXPECT_TRUE(origin.lost_components().empty());
  EXPECT_FALSE(dead(origin, a.address()));
  EXPECT_EQ(tally->bump(1), 8);
}

}  // namespace
}  // namespace hatch::test

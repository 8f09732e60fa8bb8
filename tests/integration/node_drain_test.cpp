// A node that is told to stop (SIGTERM) first asks the origin to move every component it holds
// elsewhere, and stops once they have left: the writes that callers made meanwhile all land,
// and none is lost or applied twice.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdint>
#include <future>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "cluster_test.hpp"
#include "hatch/hatch.hpp"
#include "log_watch.hpp"
#include "node_process.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

using NodeDrain = ClusterTest;

TEST_F(NodeDrain, SigtermMovesEveryComponentAwayFirstAndLosesNoAcknowledgedWrite) {
  LogWatch log;
  NodeProcess a(secret_.path());
  NodeProcess b(secret_.path());
  Options o = options();
  o.placements["ledger"] = a.address();  // keyed state
  o.placements["tally"] = a.address();   // whole state
  o.placements["echo"] = a.address();    // stateless
  o.placements["counts"] = "replicated{" + a.address() + "," + b.address() + "}";
  Origin origin(Catalog::program(), o);
  Ref<Ledger> ledger = origin.get<Ledger>("ledger");
  Ref<Tally> tally = origin.get<Tally>("tally");
  Ref<Echo> echo = origin.get<Echo>("echo");
  Ref<Counts> counts = origin.get<Counts>("counts");
  ASSERT_EQ(tally->bump(5), 5);
  for (int i = 1; i <= 10; ++i) ASSERT_EQ(counts->add("k", 1), i);

  // A writer keeps adding while the node drains. Each add returns the new count, so the last
  // one acknowledged is the number of adds applied, if none was lost or applied twice.
  std::atomic<bool> stop{false};
  std::promise<void> writing;
  std::int64_t acknowledged = 0;
  std::int64_t failed = 0;
  std::string failure;
  std::thread writer([&] {
    while (!stop.load()) {
      try {
        acknowledged = ledger->add("k", 1);
      } catch (const std::exception& e) {
        if (failed++ == 0) failure = e.what();
      }
      if (acknowledged == 20) writing.set_value();
    }
  });
  writing.get_future().wait();
  const int status = a.kill_and_reap(SIGTERM);
  stop = true;
  writer.join();

  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "wait status " << status;
  EXPECT_EQ(failed, 0) << failure;
  EXPECT_EQ(ledger->get("k"), acknowledged);
  EXPECT_GT(acknowledged, 20);
  EXPECT_EQ(log.count("node " + a.address() + " drained: 4 components moved away, 0 could not be"),
            1);
  const Design placed = origin.placements();
  EXPECT_EQ(placed.at("ledger"), Placement::local());
  EXPECT_EQ(placed.at("tally"), Placement::local());
  EXPECT_EQ(placed.at("echo"), Placement::local());
  EXPECT_EQ(placed.at("counts"), Placement::parse(b.address()));
  EXPECT_EQ(tally->bump(1), 6);
  EXPECT_EQ(echo->where(), "origin");
  EXPECT_EQ(counts->get("k"), 10);
  bool left = false;
  for (const Origin::NodeLink& link : origin.nodes()) {
    if (link.address == a.address()) left = link.left;
  }
  EXPECT_TRUE(left);
}

}  // namespace
}  // namespace hatch::test

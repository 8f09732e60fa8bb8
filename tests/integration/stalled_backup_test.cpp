// A backup that stalls (SIGSTOP) for longer than the call timeout, then resumes: its primary
// drops it, the origin's failover cannot gate it while it is stopped and is abandoned, and the
// stalled node later runs the gate it was sent. The component must still end in one live
// placement that holds every acknowledged write, and every read must be answered.
#include <gtest/gtest.h>

#include "cluster_test.hpp"
#include "hatch/hatch.hpp"
#include "log_watch.hpp"
#include "node_process.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

using StalledBackup = ClusterTest;

TEST_F(StalledBackup, ABackupThatStallsAndResumesIsNotLeftGatedAndEveryReadIsAnswered) {
  LogWatch log;
  // The nodes' calls (a primary's forwarding) give up before the origin's calls do, so that
  // the primary drops the stopped backup and still answers the origin in time. Both are short
  // enough for the stall to outlast them, long enough for every call of a loaded machine.
  const std::vector<std::string> flags = {"--hatch-call-timeout-ms", "1000"};
  NodeProcess a(secret_.path(), "127.0.0.1:0", flags);
  NodeProcess b(secret_.path(), "127.0.0.1:0", flags);
  Options o = options();
  o.call_timeout = std::chrono::seconds(4);
  Origin origin(Catalog::program(), o);
  Ref<Counts> counts = origin.get<Counts>("counts");
  ASSERT_TRUE(
      origin.apply({{"counts", Placement::replicated({a.address(), b.address()})}}).front().ok);
  constexpr int kKeys = 8;
  std::vector<std::int64_t> acked(kKeys, 0);
  for (int k = 0; k < kKeys; ++k) acked[k] = counts->add("key-" + std::to_string(k), k + 1);

  b.pause();
  // The primary waits for the stopped backup until the call timeout, drops it, and answers.
  acked[0] = counts->add("key-0", 100);
  // The origin's failover cannot gate the stopped backup and is abandoned.
  ASSERT_TRUE(log.wait_for("could not move 'counts'"))
      << "node a logged:\n" << a.log() << "node b logged:\n" << b.log();
  b.resume();

  // The backup missed a write: the component ends without it, on its primary alone.
  const auto guard = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (counts.binding() != Binding::remote(a.address()) &&
         std::chrono::steady_clock::now() < guard) {
    std::this_thread::yield();
  }
  ASSERT_EQ(counts.binding(), Binding::remote(a.address()));
  for (int round = 0; round < 20; ++round) {
    for (int k = 0; k < kKeys; ++k) {
      EXPECT_EQ(counts->get("key-" + std::to_string(k)), acked[k]) << "key " << k;
    }
  }
  // Every acknowledged write survives the next move too.
  ASSERT_TRUE(origin.apply({{"counts", Placement::on(b.address())}}).front().ok);
  for (int k = 0; k < kKeys; ++k) EXPECT_EQ(counts->get("key-" + std::to_string(k)), acked[k]);
}

}  // namespace
}  // namespace hatch::test

// Peers that hold the secret but break the protocol's pace: they must cost a node a connection,
// never a thread, and the node goes on serving everyone else. Each test runs one node process
// with few I/O threads, so that a peer that could hold a thread could hold them all.
#include <gtest/gtest.h>

#include "cluster_test.hpp"
#include "hatch/error.hpp"
#include "node_process.hpp"
#include "raw_peer.hpp"

namespace hatch::test {
namespace {

// Few threads, and a short stall timeout (a setting, not a bound the test measures).
const std::vector<std::string> kFlags = {"--hatch-io-threads", "4", "--hatch-stall-timeout-ms",
                                         "1000"};
constexpr int kMoreThanThreads = 6;

using HostilePeers = ClusterTest;

// The node answers a call on a fresh connection: a component it does not host is a fine answer.
void expect_node_answers(const std::string& secret, const std::string& address) {
  try {
    probe_call(secret, address, 9999, 0);
    ADD_FAILURE() << "the node hosts no component 9999";
  } catch (const UnknownComponent&) {
  }
}

TEST_F(HostilePeers, PeersThatStopHalfWayThroughALargeFrameCostAConnectionEachNotAThread) {
  NodeProcess node(secret_.path(), "127.0.0.1:0", kFlags);
  std::vector<std::unique_ptr<RawPeer>> peers;
  for (int i = 0; i < kMoreThanThreads; ++i) {
    peers.push_back(std::make_unique<RawPeer>(secret_.bytes(), node.address()));
    // 16 MiB announced, 100 bytes sent.
    peers.back()->send(RawPeer::half_frame(16u << 20, 100));
    ASSERT_TRUE(peers.back()->sent_all());
  }
  // Every stalled frame waits on its own connection; the node still serves.
  expect_node_answers(secret_.bytes(), node.address());
  for (auto& peer : peers) EXPECT_TRUE(peer->wait_closed()) << "the node never dropped it";
  EXPECT_TRUE(node.wait_for_log("the peer sent part of a frame and then nothing for 1000 ms"))
      << node.log();
  expect_node_answers(secret_.bytes(), node.address());
}

TEST_F(HostilePeers, APeerThatNeverReadsItsAnswersLosesItsConnectionAndNoOneElseNotices) {
  NodeProcess node(secret_.path(), "127.0.0.1:0", kFlags);
  RawPeer greedy(secret_.bytes(), node.address());
  // Requests whose answers (errors: no such component) fill every buffer between the two, and
  // then some: about 40 MB of answers that it never reads.
  std::string requests;
  for (std::uint64_t id = 1; id <= 400000; ++id) requests += RawPeer::request(9999, 0, id);
  greedy.send(std::move(requests));
  EXPECT_TRUE(node.wait_for_log("while bytes waited to be sent to it")) << node.log();
  expect_node_answers(secret_.bytes(), node.address());
  EXPECT_TRUE(greedy.wait_closed());
}

}  // namespace
}  // namespace hatch::test

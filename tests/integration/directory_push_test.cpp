// The origin's directory push after a move, when one node it knows has no connection and cannot
// get one soon (its host gone, or cut off without a reset): the push to every other node must
// not wait for it. In one process over the in-memory network, with call and handshake timeouts
// far beyond the test, so that only the order of the pushes can decide.
#include <chrono>
#include <future>
#include <memory>
#include <mutex>

#include <gtest/gtest.h>

#include "hatch/hatch.hpp"
#include "rpc/memory_network.hpp"
#include "runtime/control.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

using rpc::MemoryNetwork;

const char* const kSecret = "a cluster secret of the directory push test";
constexpr std::chrono::minutes kCallTimeout{10};

TEST(DirectoryPush, ANodeThatCannotBeReachedDelaysNoOtherNodesPush) {
  const std::shared_ptr<MemoryNetwork> net = MemoryNetwork::create();
  std::vector<std::unique_ptr<Node>> nodes;
  // "a" sorts first among the origin's nodes, so the old code pushed to it first.
  for (const char* name : {"a", "b"}) {
    NodeOptions o;
    o.listen = std::string(name) + ":0";
    o.secret = kSecret;
    o.call_timeout = kCallTimeout;
    o.handshake_timeout = kCallTimeout;
    o.network = net->host(name);
    nodes.push_back(std::make_unique<Node>(Catalog::program(), o));
  }
  const std::string a = nodes[0]->address();
  const std::string b = nodes[1]->address();
  Options o;
  o.secret = kSecret;
  o.call_timeout = kCallTimeout;
  o.network = net->host("origin");
  o.placements["echo"] = a;
  o.placements["counts"] = b;
  auto origin = std::make_unique<Origin>(Catalog::program(), o);
  Ref<Echo> echo = origin->get<Echo>("echo");
  Ref<Counts> counts = origin->get<Counts>("counts");
  ASSERT_EQ(echo->add(1, 1), 2);
  counts->add("k", 1);

  // Node a's connection breaks, and a new one waits for frames that the stalled link holds:
  // as a host that is gone, or cut off without a reset, looks until the call timeout.
  net->cut("origin", "a");
  net->heal("origin", "a");
  net->stall("origin", "a");

  std::promise<void> b_told;
  std::once_flag once;
  net->set_frame_hook(
      [&](const std::string& from, const std::string& to, const rpc::FrameHeader& header) {
        if (from == "origin" && to == "b" && header.kind == rpc::FrameKind::request &&
            header.component == runtime::kControlComponent &&
            header.method == static_cast<std::uint32_t>(runtime::ControlMethod::rebind)) {
          std::call_once(once, [&] { b_told.set_value(); });
        }
        return MemoryNetwork::Verdict::pass;
      });
  std::future<TransitionReport> move =
      std::async(std::launch::async, [&] { return origin->relocate("counts", "local"); });

  // The guard fails the old code, which pushed to a first, in ten minutes' time, instead of
  // hanging the test.
  const bool told =
      b_told.get_future().wait_for(std::chrono::minutes(1)) == std::future_status::ready;
  EXPECT_TRUE(told) << "node b was not told of the move while node a could not be reached";
  EXPECT_NE(move.wait_for(std::chrono::seconds(0)), std::future_status::ready)
      << "the move ended without pushing to node a";
  net->resume("origin", "a");
  const TransitionReport report = move.get();
  EXPECT_TRUE(report.ok) << report.error;
  counts->add("k", 1);
  EXPECT_EQ(counts->get("k"), 2);
  net->set_frame_hook({});
  origin.reset();
  nodes.clear();
}

}  // namespace
}  // namespace hatch::test

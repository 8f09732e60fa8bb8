// A primary replica's writes wait for their backups without holding a thread of the primary
// (runtime/replication.hpp), in one process: an origin and two nodes over the in-memory network
// (rpc/memory_network.hpp), the backup's link stalled while writes wait for it.
#include <condition_variable>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hatch/hatch.hpp"
#include "rpc/memory_network.hpp"
#include "runtime/control.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

using rpc::MemoryNetwork;

const char* const kSecret = "a cluster secret of the replicated write tests";

// Counts the component requests each way of a link, and lets a test wait for a count.
class RequestCount {
 public:
  MemoryNetwork::Verdict see(const std::string& from, const std::string& to,
                             const rpc::FrameHeader& header) {
    if (header.kind == rpc::FrameKind::request && header.component != runtime::kControlComponent) {
      std::lock_guard lock(mu_);
      ++sent_[from + ">" + to];
      changed_.notify_all();
    }
    return MemoryNetwork::Verdict::pass;
  }
  // Waits until `from` has sent `to` at least `n` component requests, or `deadline`.
  bool wait(const std::string& from, const std::string& to, int n,
            std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mu_);
    return changed_.wait_until(lock, deadline, [&] { return sent_[from + ">" + to] >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, int> sent_;
};

TEST(ReplicatedWrites, WritesWaitingForAStalledBackupHoldNoThreadOfTheirPrimary) {
  constexpr int kWrites = 8;
  auto net = MemoryNetwork::create();
  auto count = std::make_shared<RequestCount>();
  net->set_frame_hook(
      [count](const std::string& from, const std::string& to, const rpc::FrameHeader& header) {
        return count->see(from, to, header);
      });
  std::vector<std::unique_ptr<Node>> nodes;
  for (const char* name : {"a", "b"}) {
    NodeOptions o;
    o.listen = std::string(name) + ":0";
    o.secret = kSecret;
    // Fewer threads on the primary than writes that wait: were each to hold one, none would
    // be left to read the next request.
    o.io_threads = 2;
    // The primary waits for the stalled backup longer than the test takes: it never gives up
    // on it and acknowledges the writes alone.
    o.call_timeout = std::chrono::seconds(60);
    o.network = net->host(name);
    nodes.push_back(std::make_unique<Node>(Catalog::program(), o));
  }
  Options o;
  o.secret = kSecret;
  o.io_threads = 8;
  o.heartbeat_interval = std::chrono::milliseconds(0);
  // Bounds the wait of a call the primary never reads, so that the test fails rather than hang.
  o.call_timeout = std::chrono::seconds(10);
  o.network = net->host("origin");
  Origin origin(Catalog::program(), o);
  const std::string a = nodes[0]->address();
  const std::string b = nodes[1]->address();
  Ref<Counts> counts = origin.get<Counts>("counts");
  Ref<Tally> tally = origin.get<Tally>("tally");
  for (const TransitionReport& r :
       origin.apply({{"counts", Placement::replicated({a, b})}, {"tally", Placement::on(a)}})) {
    ASSERT_TRUE(r.ok) << r.to_string();
  }

  net->stall("a", "b");
  std::vector<std::future<std::int64_t>> writes;
  for (int i = 0; i < kWrites; ++i) {
    writes.push_back(std::async(
        std::launch::async, [&counts, i] { return counts->add("key-" + std::to_string(i), 1); }));
  }
  const auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  // Every write is on its way to the primary, ahead of the call below on the same connection.
  ASSERT_TRUE(count->wait("origin", "a", kWrites, guard));

  // A call behind the waiting writes on the same connection is read and answered.
  EXPECT_EQ(tally->bump(5), 5) << "the primary served nothing while its writes waited";
  for (const auto& w : writes) {
    EXPECT_NE(w.wait_for(std::chrono::seconds(0)), std::future_status::ready)
        << "a write was answered before its backup applied it";
  }

  net->resume("a", "b");
  for (auto& w : writes) EXPECT_EQ(w.get(), 1);
  EXPECT_EQ(counts->total(), kWrites);
  // The backup holds every write too: it answers alone once the primary is gone.
  ASSERT_TRUE(origin.apply({{"counts", Placement::on(b)}}).front().ok);
  EXPECT_EQ(counts->total(), kWrites);
}

}  // namespace
}  // namespace hatch::test

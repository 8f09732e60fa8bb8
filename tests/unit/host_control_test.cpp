// The rules of gates on one host (runtime/host_control.hpp): epochs order gates and ungates,
// and a node's gate that outlives its lease is checked with the origin, whose verdict keeps,
// reopens or retires it. The origin is a hook here; every wait is on a hook being called.
#include "runtime/host_control.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "hatch/component.hpp"
#include "hatch/internal/codec.hpp"
#include "test_interfaces.hpp"

namespace hatch::runtime {
namespace {

constexpr std::uint32_t kId = 5;
constexpr std::uint32_t kOtherId = 6;

class HostControlTest : public ::testing::Test {
 protected:
  HostControlTest()
      : host_("node-x", internal::WireLimits{}),
        work_(asio::make_work_guard(io_)),
        control_(host_, Catalog::program(), io_, std::chrono::seconds(5),
                 std::chrono::milliseconds(20), hooks()),
        runner_([this] { io_.run(); }) {
    add(kId);
  }
  ~HostControlTest() override {
    work_.reset();
    io_.stop();
    runner_.join();
  }

  HostControlHooks hooks() {
    HostControlHooks h;
    h.create = [](const ComponentEntry& component, const InstantiateRequest& order) {
      struct NoDeps final : Context {
        explicit NoDeps(const std::string& name) : Context(name, "node-x", {}) {}
        std::shared_ptr<BindingCell> resolve(std::string_view) override {
          throw UsageError("none");
        }
      } context(order.name);
      return component.create(context);
    };
    h.drain_local_refs = [](std::uint32_t, rpc::Clock::time_point) { return true; };
    h.reopened = [this](std::uint32_t id) { note([&] { reopened_.push_back(id); }); };
    h.check_gate = [this](std::uint32_t id, std::uint64_t epoch) {
      std::unique_lock lock(mu_);
      checks_.emplace_back(id, epoch);
      changed_.notify_all();
      if (verdicts_.empty()) return std::make_pair(GateVerdict::keep, std::string());
      auto verdict = verdicts_.front();
      verdicts_.pop_front();
      return verdict;
    };
    return h;
  }

  void add(std::uint32_t id) {
    InstantiateRequest order;
    order.name = "store";
    order.id = id;
    order.home = "node-x";
    order.signature = std::string(Catalog::program().find("store")->interface->signature);
    internal::Payload none;
    control_.instantiate(order, none);
  }

  template <class F>
  void note(F&& change) {
    std::lock_guard lock(mu_);
    change();
    changed_.notify_all();
  }

  // Waits (a minute at most, which only a hang takes) until `done` holds.
  template <class P>
  bool wait_until(P done) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, std::chrono::minutes(1), done);
  }

  StatusCode call(std::uint32_t id) {
    internal::WireBuffer in;
    internal::pack_args(in, std::string("k"));
    rpc::FrameHeader h;
    h.component = id;
    h.method = 1;
    internal::Payload request;
    request.body = in.bytes();
    return host_.execute(nullptr, h, request).status;
  }

  Host host_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  HostControl control_;
  std::thread runner_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> checks_;  // guarded by mu_
  std::vector<std::uint32_t> reopened_;                          // guarded by mu_
  std::deque<std::pair<GateVerdict, std::string>> verdicts_;     // guarded by mu_
};

TEST_F(HostControlTest, AnUngateOfAnOlderTransitionLeavesANewerGateClosed) {
  control_.gate(GateRequest{kId, 2});
  EXPECT_FALSE(control_.ungate(UngateRequest{kId, 1}));
  EXPECT_EQ(call(kId), StatusCode::moved);
  EXPECT_TRUE(control_.ungate(UngateRequest{kId, 2}));
  EXPECT_EQ(call(kId), StatusCode::ok);
}

TEST_F(HostControlTest, AGateThatArrivesAfterItsTransitionsUngateDoesNotClose) {
  EXPECT_FALSE(control_.ungate(UngateRequest{kId, 3})) << "it was not gated";
  control_.gate(GateRequest{kId, 3});
  EXPECT_EQ(call(kId), StatusCode::ok);
  control_.gate(GateRequest{kId, 4});
  EXPECT_EQ(call(kId), StatusCode::moved) << "a later transition's gate closes";
}

TEST_F(HostControlTest, AGatePastItsLeaseIsKeptWhileTheOriginSaysItsTransitionRuns) {
  control_.gate(GateRequest{kId, 7});
  ASSERT_TRUE(wait_until([&] { return checks_.size() >= 2; })) << "checked once and again";
  EXPECT_EQ(checks_[0], std::make_pair(kId, std::uint64_t{7}));
  EXPECT_EQ(call(kId), StatusCode::moved);
}

TEST_F(HostControlTest, AGatePastItsLeaseReopensWhenTheOriginSaysItsTransitionEnded) {
  {
    std::lock_guard lock(mu_);
    verdicts_.emplace_back(GateVerdict::reopen, "");
  }
  control_.gate(GateRequest{kId, 7});
  ASSERT_TRUE(wait_until([&] { return !reopened_.empty(); }));
  EXPECT_EQ(reopened_.front(), kId);
  EXPECT_EQ(call(kId), StatusCode::ok);
}

TEST_F(HostControlTest, AGatePastItsLeaseRetiresWhenTheInstanceWasLeftBehind) {
  {
    std::lock_guard lock(mu_);
    verdicts_.emplace_back(GateVerdict::retire, "node-y");
  }
  control_.gate(GateRequest{kId, 7});
  ASSERT_TRUE(wait_until([&] { return !checks_.empty(); }));
  // The one I/O thread retires right after the check returns, before its next sweep, which is
  // the first to see the other gate.
  add(kOtherId);
  control_.gate(GateRequest{kOtherId, 8});
  ASSERT_TRUE(wait_until([&] { return checks_.size() >= 2; }));
  EXPECT_EQ(checks_[1].first, kOtherId);
  EXPECT_EQ(call(kId), StatusCode::moved);
  EXPECT_FALSE(host_.gate(kId, rpc::Clock::now())) << "retired: nothing left to gate";
}

TEST_F(HostControlTest, AGateEndedBeforeItsLeaseIsNeverChecked) {
  control_.gate(GateRequest{kId, 7});
  control_.retire(RetireRequest{kId, "node-y"});
  add(kOtherId);
  control_.gate(GateRequest{kOtherId, 8});
  // The second gate's lease ends after the first one's would have: its check comes first only
  // if the first was forgotten.
  ASSERT_TRUE(wait_until([&] { return !checks_.empty(); }));
  EXPECT_EQ(checks_.front().first, kOtherId);
}

}  // namespace
}  // namespace hatch::runtime

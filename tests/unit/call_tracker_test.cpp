#include "hatch/internal/call_tracker.hpp"

#include <atomic>
#include <future>
#include <thread>

#include <gtest/gtest.h>

namespace hatch::internal {
namespace {

using Clock = std::chrono::steady_clock;

TEST(CallTracker, ADrainWaitsForACallInFlightAndNoLonger) {
  int cell = 0;  // any address names a cell
  std::atomic<bool> inside{false};
  std::atomic<bool> release{false};
  auto caller = std::async(std::launch::async, [&] {
    CallScope scope(&cell);
    inside.store(true);
    while (!release.load()) std::this_thread::yield();
  });
  while (!inside.load()) std::this_thread::yield();
  EXPECT_FALSE(drain_local_calls(&cell, Clock::now())) << "the call is still running";
  int other = 0;
  EXPECT_TRUE(drain_local_calls(&other, Clock::now())) << "a call into another cell counts not";
  release.store(true);
  caller.get();
  EXPECT_TRUE(drain_local_calls(&cell, Clock::now() + std::chrono::minutes(1)));
}

TEST(CallTracker, AParkedCallDoesNotHoldUpADrain) {
  int cell = 0;
  std::atomic<bool> parked{false};
  std::atomic<bool> release{false};
  auto caller = std::async(std::launch::async, [&] {
    CallScope scope(&cell);
    {
      ParkedCall park(&cell);
      parked.store(true);
      while (!release.load()) std::this_thread::yield();
    }
  });
  while (!parked.load()) std::this_thread::yield();
  EXPECT_TRUE(drain_local_calls(&cell, Clock::now()));
  release.store(true);
  caller.get();
}

TEST(CallTracker, NestedCallsAreTrackedAtEveryDepth) {
  int outer = 0;
  int inner = 0;
  std::atomic<bool> inside{false};
  std::atomic<bool> release{false};
  auto caller = std::async(std::launch::async, [&] {
    CallScope a(&outer);
    CallScope b(&inner);
    inside.store(true);
    while (!release.load()) std::this_thread::yield();
  });
  while (!inside.load()) std::this_thread::yield();
  EXPECT_FALSE(drain_local_calls(&outer, Clock::now()));
  EXPECT_FALSE(drain_local_calls(&inner, Clock::now()));
  release.store(true);
  caller.get();
  EXPECT_TRUE(drain_local_calls(&outer, Clock::now()));
}

}  // namespace
}  // namespace hatch::internal

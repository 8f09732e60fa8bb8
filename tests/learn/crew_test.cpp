#include "learn/crew.hpp"

#include <cmath>

#include <gtest/gtest.h>

#include "learn/latency_shares.hpp"

namespace hatch {
namespace {

EdgeWindow edge(std::size_t caller, std::size_t callee, double latency_ms = 1) {
  return {.caller = caller,
          .callee = callee,
          .calls_per_s = 100,
          .bytes_per_call = 100,
          .latency_ms = latency_ms};
}

TEST(CallReach, ComponentsInteractThroughTheCallsOfOthers) {
  // 0 calls 1 and 2; 1 calls 3; 4 is called by no one.
  const CallReach reach(5, {edge(0, 1), edge(1, 3), edge(0, 2)});
  EXPECT_FALSE(reach.independent(0, 3)) << "0 reaches 3 through 1";
  EXPECT_FALSE(reach.independent(3, 0));
  EXPECT_FALSE(reach.independent(1, 3));
  EXPECT_FALSE(reach.independent(2, 2)) << "a component interacts with itself";
  EXPECT_TRUE(reach.independent(2, 3)) << "siblings' subtrees";
  EXPECT_TRUE(reach.independent(1, 2));
  EXPECT_TRUE(reach.independent(4, 0));
  EXPECT_FALSE(reach.independent(0, 5)) << "a component out of range is never independent";
  const CallReach cycle(3, {edge(0, 1), edge(1, 2), edge(2, 1), edge(7, 0)});
  EXPECT_FALSE(cycle.independent(1, 2));
  EXPECT_FALSE(cycle.independent(0, 2));
}

// The entry (0) calls 1 and 2; each call's latency is what the edge carries.
Window star(double one_ms, double two_ms) {
  Window w;
  w.seconds = 1;
  w.throughput_rps = 100;
  w.entry = {.count = 100, .mean_ms = 1 + one_ms + two_ms};
  w.components.resize(3);
  w.components[0].calls_per_s = 100;
  w.components[0].latency.mean_ms = w.entry.mean_ms;
  w.edges = {edge(0, 1, one_ms), edge(0, 2, two_ms)};
  return w;
}

TEST(ScreenedValue, TakesAwayWhatTheOtherMoversChanged) {
  const double cap = 100;
  const Window incumbent = star(4, 5);  // 10 ms
  const std::vector<double> before = inclusive_ms(incumbent);
  EXPECT_DOUBLE_EQ(before[1], 4);
  EXPECT_DOUBLE_EQ(before[2], 5);
  // 1 moved to 2 ms and 2 to 4 ms: 7 ms in all. Alone, 1's move would give 8 ms, 2's 9 ms.
  const Window both = star(2, 4);
  const double value = std::log(cap / both.entry.mean_ms);
  EXPECT_NEAR(screened_value(value, both, before, {1, 2}, 1), std::log(cap / 8), 1e-12);
  EXPECT_NEAR(screened_value(value, both, before, {1, 2}, 2), std::log(cap / 9), 1e-12);
  EXPECT_DOUBLE_EQ(screened_value(value, both, before, {1}, 1), value) << "no other mover";
  // Past the reward's cap the value is -ms / (ms + 100) of the latency alone.
  EXPECT_NEAR(screened_value(-7.0 / 107, both, before, {1, 2}, 1), -8.0 / 108, 1e-12);
  Window empty = both;
  empty.entry.count = 0;
  EXPECT_DOUBLE_EQ(screened_value(value, empty, before, {1, 2}, 1), value) << "nothing measured";
}

}  // namespace
}  // namespace hatch

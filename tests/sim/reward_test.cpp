#include "perception/reward.hpp"

#include <gtest/gtest.h>

#include "hatch/error.hpp"

namespace hatch {
namespace {

LatencySummary summary(double mean, double p95) {
  LatencySummary s;
  s.count = 100;
  s.mean_ms = mean;
  s.p50_ms = mean;
  s.p95_ms = p95;
  s.p99_ms = p95 * 2;
  return s;
}

TEST(Reward, IsOneMinusCappedResponseTimeOverCap) {
  const RewardFunction mean_only({.cap_ms = 100, .mean_weight = 1, .tail_weight = 0});
  EXPECT_DOUBLE_EQ(mean_only(summary(25, 80)), 0.75);
  EXPECT_DOUBLE_EQ(mean_only(summary(0, 0)), 1.0);
  EXPECT_DOUBLE_EQ(mean_only(summary(100, 80)), 0.0);
  EXPECT_DOUBLE_EQ(mean_only(summary(500, 900)), 0.0);
}

TEST(Reward, MixesTheMeanAndATailPercentile) {
  const RewardFunction mixed(
      {.cap_ms = 100, .mean_weight = 3, .tail_weight = 1, .tail_percentile = 95});
  EXPECT_DOUBLE_EQ(mixed.response_time_ms(summary(20, 60)), 30);  // (3*20 + 60) / 4
  EXPECT_DOUBLE_EQ(mixed(summary(20, 60)), 0.7);
  const RewardFunction p99(
      {.cap_ms = 100, .mean_weight = 0, .tail_weight = 1, .tail_percentile = 99});
  EXPECT_DOUBLE_EQ(p99(summary(20, 30)), 0.4);
}

TEST(Reward, ChargesPerHostUsedAndClampsAtZero) {
  const RewardFunction costed(
      {.cap_ms = 100, .mean_weight = 1, .tail_weight = 0, .cost_per_host = 0.05});
  EXPECT_DOUBLE_EQ(costed(summary(50, 50), 0), 0.5);
  EXPECT_DOUBLE_EQ(costed(summary(50, 50), 2), 0.4);
  EXPECT_DOUBLE_EQ(costed(summary(90, 90), 4), 0.0);
}

TEST(Reward, AnEmptyWindowEarnsNothing) {
  const RewardFunction reward;
  EXPECT_EQ(reward(LatencySummary{}), 0.0);
}

TEST(Reward, RefusesBadOptions) {
  EXPECT_THROW(RewardFunction({.cap_ms = 0}), UsageError);
  EXPECT_THROW(RewardFunction({.mean_weight = 0, .tail_weight = 0}), UsageError);
  EXPECT_THROW(RewardFunction({.tail_percentile = 90}), UsageError);
  EXPECT_THROW(RewardFunction({.cost_per_host = -1}), UsageError);
}

}  // namespace
}  // namespace hatch

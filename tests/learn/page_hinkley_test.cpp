#include "learn/page_hinkley.hpp"

#include <random>

#include <gtest/gtest.h>

namespace hatch {
namespace {

// Feeds `count` values N(mean, 1) from `rng`; returns the 1-based index of the first alarm, or
// 0 if none.
int first_alarm(PageHinkley& detector, std::mt19937_64& rng, double mean, int count) {
  std::normal_distribution<double> value(mean, 1);
  for (int i = 1; i <= count; ++i)
    if (detector.update(value(rng))) return i;
  return 0;
}

TEST(PageHinkley, StaysQuietOnAStationaryStream) {
  for (std::uint64_t seed : {1, 2, 3}) {
    PageHinkley detector;
    std::mt19937_64 rng(seed);
    EXPECT_EQ(first_alarm(detector, rng, 0.0, 1000), 0) << "seed " << seed;
  }
}

TEST(PageHinkley, FiresSoonAfterTheMeanFalls) {
  PageHinkley detector;
  std::mt19937_64 rng(5);
  ASSERT_EQ(first_alarm(detector, rng, 0.0, 100), 0);
  const int delay = first_alarm(detector, rng, -3.0, 50);
  EXPECT_GT(delay, 0);
  EXPECT_LE(delay, 10);
}

TEST(PageHinkley, FiresSoonAfterTheMeanRises) {
  PageHinkley detector;
  std::mt19937_64 rng(6);
  ASSERT_EQ(first_alarm(detector, rng, 0.0, 100), 0);
  const int delay = first_alarm(detector, rng, 3.0, 50);
  EXPECT_GT(delay, 0);
  EXPECT_LE(delay, 10);
}

TEST(PageHinkley, ResetsAfterFiring) {
  PageHinkley detector({.delta = 0, .threshold = 1, .min_samples = 1});
  detector.update(0);
  EXPECT_TRUE(detector.update(10));
  EXPECT_EQ(detector.samples(), 0u);
}

TEST(PageHinkley, NoAlarmBeforeMinSamples) {
  PageHinkley detector({.delta = 0, .threshold = 1, .min_samples = 5});
  detector.update(0);
  EXPECT_FALSE(detector.update(100));
}

}  // namespace
}  // namespace hatch

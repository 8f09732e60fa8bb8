#include "learn/thompson_sampling.hpp"

#include <gtest/gtest.h>

namespace hatch {
namespace {

TEST(ThompsonSampling, TellsApartArmsOneHundredthApartWhenRewardsAreSteady) {
  // Continuous rewards 0.01 apart with little noise: the Gaussian posterior narrows fast.
  ThompsonSampling bandit(2, {.seed = 4});
  std::mt19937_64 noise(8);
  std::normal_distribution<double> jitter(0, 0.002);
  std::uint64_t better = 0;
  for (int t = 0; t < 1000; ++t) {
    const std::size_t arm = bandit.select();
    bandit.update(arm, (arm == 1 ? 0.71 : 0.70) + jitter(noise));
    if (t >= 500) better += arm == 1;
  }
  EXPECT_GT(better, 480u);
}

TEST(ThompsonSampling, DifferentSeedsExploreDifferently) {
  ThompsonSampling a(3, {.seed = 1});
  ThompsonSampling b(3, {.seed = 2});
  for (std::size_t i = 0; i < 3; ++i) {
    a.update(i, 0.5);
    b.update(i, 0.5);
  }
  bool differed = false;
  for (int t = 0; t < 50 && !differed; ++t) differed = a.select() != b.select();
  EXPECT_TRUE(differed);
}

}  // namespace
}  // namespace hatch

#include "learn/epsilon_greedy.hpp"

#include <gtest/gtest.h>

namespace hatch {
namespace {

TEST(EpsilonGreedy, EpsilonDecaysToItsFloor) {
  EpsilonGreedy bandit(2, {.initial = 1.0, .decay = 0.1, .floor = 0.05});
  EXPECT_DOUBLE_EQ(bandit.epsilon(), 1.0);
  for (int i = 0; i < 10; ++i) bandit.update(0, 0.5);
  EXPECT_DOUBLE_EQ(bandit.epsilon(), 0.5);
  for (int i = 0; i < 10000; ++i) bandit.update(0, 0.5);
  EXPECT_DOUBLE_EQ(bandit.epsilon(), 0.05);
}

TEST(EpsilonGreedy, WithoutExplorationItPicksTheBestMean) {
  EpsilonGreedy bandit(3, {.initial = 0, .floor = 0});
  bandit.update(0, 0.2);
  bandit.update(1, 0.7);
  bandit.update(2, 0.7);
  EXPECT_EQ(bandit.select(), 1u) << "a tie goes to the lower index";
}

}  // namespace
}  // namespace hatch

// Discounted and sliding-window UCB follow a change of the best arm; plain UCB1 is slow to.
#include <gtest/gtest.h>

#include "bernoulli_arms.hpp"
#include "learn/discounted_ucb.hpp"
#include "learn/sliding_window_ucb.hpp"
#include "learn/ucb1.hpp"

namespace hatch {
namespace {

using testing::BernoulliArms;

// Plays `before` rounds where arm 0 is best, then 600 where arm 1 is; returns how often arm 1
// was pulled in each half of those 600.
std::pair<std::uint64_t, std::uint64_t> pulls_of_new_best(Bandit& bandit,
                                                          std::size_t before = 1000) {
  BernoulliArms arms({0.8, 0.2}, 11);
  arms.play(bandit, before);
  arms.set_probabilities({0.2, 0.8});
  const std::uint64_t early = arms.play(bandit, 300)[1];
  return {early, arms.play(bandit, 300)[1]};
}

std::uint64_t late_pulls_of_new_best(Bandit& bandit) {
  return pulls_of_new_best(bandit).second;
}

TEST(DiscountedUcb, SwitchesToTheNewBestArmAfterAChange) {
  DiscountedUcb bandit(2, {.gamma = 0.97});
  EXPECT_GT(late_pulls_of_new_best(bandit), 240u);
}

TEST(SlidingWindowUcb, SwitchesToTheNewBestArmAfterAChange) {
  SlidingWindowUcb bandit(2, {.window = 100});
  EXPECT_GT(late_pulls_of_new_best(bandit), 240u);
}

TEST(NonstationaryBandits, FollowALateChangeSoonerThanUcb1) {
  // After a long stable stretch UCB1 keeps its old favourite until the new best arm's
  // confidence term grows; the others forget the old rewards and switch sooner.
  Ucb1 plain(2);
  DiscountedUcb discounted(2, {.gamma = 0.97});
  SlidingWindowUcb sliding(2, {.window = 100});
  const std::uint64_t plain_early = pulls_of_new_best(plain, 20000).first;
  EXPECT_GT(pulls_of_new_best(discounted, 20000).first, plain_early + 50);
  EXPECT_GT(pulls_of_new_best(sliding, 20000).first, plain_early + 50);
}

TEST(SlidingWindowUcb, ForgetsPullsOlderThanTheWindow) {
  SlidingWindowUcb bandit(2, {.window = 4});
  for (int i = 0; i < 4; ++i) bandit.update(0, 1.0);
  EXPECT_EQ(bandit.pulls_in_window(0), 4u);
  for (int i = 0; i < 4; ++i) bandit.update(1, 0.25);
  EXPECT_EQ(bandit.pulls_in_window(0), 0u);
  EXPECT_DOUBLE_EQ(bandit.mean(1), 0.25);
  EXPECT_EQ(bandit.select(), 0u) << "an arm absent from the window is tried first";
}

TEST(DiscountedUcb, OldRewardsWeighLess) {
  DiscountedUcb bandit(1, {.gamma = 0.5});
  bandit.update(0, 0.0);
  bandit.update(0, 1.0);
  // weights: 0.5 for the first, 1 for the second
  EXPECT_DOUBLE_EQ(bandit.mean(0), 1.0 / 1.5);
  EXPECT_DOUBLE_EQ(bandit.weight(0), 1.5);
}

}  // namespace
}  // namespace hatch

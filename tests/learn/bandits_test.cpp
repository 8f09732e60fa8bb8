// Behaviour every bandit shares, checked for all six on seeded Bernoulli problems.
#include "learn/bandit.hpp"

#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "bernoulli_arms.hpp"
#include "learn/discounted_ucb.hpp"
#include "learn/epsilon_greedy.hpp"
#include "learn/sliding_window_ucb.hpp"
#include "learn/thompson_sampling.hpp"
#include "learn/ucb1.hpp"
#include "learn/ucb1_tuned.hpp"

namespace hatch {
namespace {

using testing::BernoulliArms;

struct BanditCase {
  std::string name;
  std::function<std::unique_ptr<Bandit>(std::size_t arms)> make;
  double min_best_share;  // of 3000 pulls on the five-armed problem below
};

class EveryBandit : public ::testing::TestWithParam<BanditCase> {};

TEST_P(EveryBandit, MostlyPullsTheBestOfFiveArms) {
  auto bandit = GetParam().make(5);
  BernoulliArms arms({0.2, 0.35, 0.8, 0.5, 0.3}, 42);
  const auto pulls = arms.play(*bandit, 3000);
  EXPECT_GT(double(pulls[2]) / 3000, GetParam().min_best_share) << "pulls of the best arm";
}

TEST_P(EveryBandit, PullsTheBetterOfTwoCloseArms) {
  auto bandit = GetParam().make(2);
  BernoulliArms arms({0.45, 0.6}, 7);
  const auto pulls = arms.play(*bandit, 4000);
  EXPECT_GT(pulls[1], pulls[0]);
}

TEST_P(EveryBandit, TriesEveryArmBeforeRepeatingOne) {
  auto bandit = GetParam().make(6);
  std::vector<bool> seen(6, false);
  for (std::size_t i = 0; i < 6; ++i) {
    const std::size_t arm = bandit->select();
    ASSERT_FALSE(seen[arm]) << "arm " << arm << " pulled twice in the first six";
    seen[arm] = true;
    bandit->update(arm, 1.0);  // even a perfect reward must not stop the others being tried
  }
}

TEST_P(EveryBandit, TheSameSeedReplaysTheSameRun) {
  auto first = GetParam().make(4);
  auto second = GetParam().make(4);
  BernoulliArms arms_a({0.3, 0.5, 0.4, 0.6}, 3);
  BernoulliArms arms_b({0.3, 0.5, 0.4, 0.6}, 3);
  EXPECT_EQ(arms_a.play(*first, 500), arms_b.play(*second, 500));
}

TEST_P(EveryBandit, ResetForgetsEverything) {
  auto bandit = GetParam().make(3);
  BernoulliArms arms({0.1, 0.9, 0.5}, 5);
  arms.play(*bandit, 200);
  bandit->reset();
  std::vector<bool> seen(3, false);
  for (std::size_t i = 0; i < 3; ++i) {
    const std::size_t arm = bandit->select();
    EXPECT_FALSE(seen[arm]);
    seen[arm] = true;
    bandit->update(arm, 0.5);
  }
}

const BanditCase kCases[] = {
    {"Ucb1", [](std::size_t k) { return std::make_unique<Ucb1>(k); }, 0.85},
    {"Ucb1Tuned", [](std::size_t k) { return std::make_unique<Ucb1Tuned>(k); }, 0.9},
    {"Thompson",
     [](std::size_t k) {
       return std::make_unique<ThompsonSampling>(k, ThompsonOptions{.seed = 9});
     },
     0.9},
    {"EpsilonGreedy",
     [](std::size_t k) {
       return std::make_unique<EpsilonGreedy>(k, EpsilonGreedyOptions{.seed = 9});
     },
     0.85},
    {"DiscountedUcb",
     [](std::size_t k) {
       return std::make_unique<DiscountedUcb>(k, DiscountedUcbOptions{.gamma = 0.995});
     },
     0.55},
    {"SlidingWindowUcb",
     [](std::size_t k) {
       return std::make_unique<SlidingWindowUcb>(k, SlidingWindowUcbOptions{.window = 500});
     },
     0.65},
};

INSTANTIATE_TEST_SUITE_P(Bandits, EveryBandit, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace hatch

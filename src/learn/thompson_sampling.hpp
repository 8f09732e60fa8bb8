// Thompson sampling with a Gaussian posterior per arm: each select() draws a plausible mean for
// every arm, mean ~ N(observed mean, spread^2 / (n + 1)), and pulls the arm with the highest
// draw. The spread is the arm's observed standard deviation, shrunk towards a prior so that an
// arm pulled once is neither certain nor hopeless. Seeded, so runs replay exactly.
//
// Gaussian rather than Beta-Bernoulli because latency rewards are continuous and bunched: two
// designs may differ by 0.01, which a Beta posterior over [0, 1] would take thousands of pulls
// to tell apart.
#pragma once

#include <cstdint>
#include <random>

#include "learn/stats_bandit.hpp"

namespace hatch {

struct ThompsonOptions {
  std::uint64_t seed = 1;
  // The standard deviation assumed before any data, and the weight (in pulls) of that guess.
  // 0.5 is the widest a [0, 1] reward can spread; the data take over after a few pulls.
  double prior_spread = 0.5;
  double prior_weight = 1;
};

class ThompsonSampling final : public StatsBandit {
 public:
  ThompsonSampling(std::size_t arms, ThompsonOptions options = {});

  std::size_t select() override;

 private:
  ThompsonOptions options_;
  std::mt19937_64 rng_;
};

}  // namespace hatch

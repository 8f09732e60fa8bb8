#include "learn/thompson_sampling.hpp"

#include <cmath>

namespace hatch {

ThompsonSampling::ThompsonSampling(std::size_t arms, ThompsonOptions options)
    : arms_(arms), options_(options), rng_(options.seed) {}

std::size_t ThompsonSampling::select() {
  std::size_t best = 0;
  double best_draw = -INFINITY;
  for (std::size_t i = 0; i < arms_.size(); ++i) {
    const ArmStats& a = arms_[i];
    if (a.pulls == 0) return i;
    const double n = double(a.pulls);
    const double prior = options_.prior_weight * options_.prior_spread * options_.prior_spread;
    const double spread = std::sqrt((a.sum_squares + prior) / (n + options_.prior_weight));
    const double draw = std::normal_distribution<double>(a.mean, spread / std::sqrt(n + 1))(rng_);
    if (draw > best_draw) {
      best_draw = draw;
      best = i;
    }
  }
  return best;
}

void ThompsonSampling::update(std::size_t arm, double reward) {
  arms_[arm].add(reward);
}

void ThompsonSampling::reset() {
  arms_.assign(arms_.size(), ArmStats{});
}

}  // namespace hatch

#include "learn/thompson_sampling.hpp"

namespace hatch {

ThompsonSampling::ThompsonSampling(std::size_t arms, ThompsonOptions options)
    : StatsBandit(arms), options_(options), rng_(options.seed) {}

std::size_t ThompsonSampling::select() {
  const double prior = options_.prior_weight * options_.prior_spread * options_.prior_spread;
  return select_by([&](std::size_t i) {
    const double n = double(arm(i).pulls);
    const double spread = std::sqrt((arm(i).sum_squares + prior) / (n + options_.prior_weight));
    return std::normal_distribution<double>(arm(i).mean, spread / std::sqrt(n + 1))(rng_);
  });
}

}  // namespace hatch

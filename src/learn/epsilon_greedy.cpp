#include "learn/epsilon_greedy.hpp"

#include <algorithm>

namespace hatch {

EpsilonGreedy::EpsilonGreedy(std::size_t arms, EpsilonGreedyOptions options)
    : StatsBandit(arms), options_(options), rng_(options.seed) {}

double EpsilonGreedy::epsilon() const {
  return std::max(options_.floor, options_.initial / (1 + options_.decay * double(total())));
}

std::size_t EpsilonGreedy::select() {
  if (all_tried() && std::uniform_real_distribution<double>(0, 1)(rng_) < epsilon())
    return std::uniform_int_distribution<std::size_t>(0, arm_count() - 1)(rng_);
  return select_by([&](std::size_t i) { return arm(i).mean; });
}

}  // namespace hatch

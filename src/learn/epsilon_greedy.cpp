#include "learn/epsilon_greedy.hpp"

#include <algorithm>

namespace hatch {

EpsilonGreedy::EpsilonGreedy(std::size_t arms, EpsilonGreedyOptions options)
    : arms_(arms), options_(options), rng_(options.seed) {}

double EpsilonGreedy::epsilon() const {
  return std::max(options_.floor, options_.initial / (1 + options_.decay * double(total_)));
}

std::size_t EpsilonGreedy::select() {
  for (std::size_t i = 0; i < arms_.size(); ++i)
    if (arms_[i].pulls == 0) return i;
  if (std::uniform_real_distribution<double>(0, 1)(rng_) < epsilon())
    return std::uniform_int_distribution<std::size_t>(0, arms_.size() - 1)(rng_);
  std::size_t best = 0;
  for (std::size_t i = 1; i < arms_.size(); ++i)
    if (arms_[i].mean > arms_[best].mean) best = i;
  return best;
}

void EpsilonGreedy::update(std::size_t arm, double reward) {
  arms_[arm].add(reward);
  ++total_;
}

void EpsilonGreedy::reset() {
  arms_.assign(arms_.size(), ArmStats{});
  total_ = 0;
}

}  // namespace hatch

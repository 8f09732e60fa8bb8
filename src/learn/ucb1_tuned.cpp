#include "learn/ucb1_tuned.hpp"

#include <algorithm>
#include <cmath>

namespace hatch {

Ucb1Tuned::Ucb1Tuned(std::size_t arms) : arms_(arms) {}

std::size_t Ucb1Tuned::select() {
  std::size_t best = 0;
  double best_index = -1;
  const double log_total = std::log(double(total_));
  for (std::size_t i = 0; i < arms_.size(); ++i) {
    const ArmStats& a = arms_[i];
    if (a.pulls == 0) return i;
    const double n = double(a.pulls);
    const double variance_bound = a.variance() + std::sqrt(2 * log_total / n);
    const double index = a.mean + std::sqrt(log_total / n * std::min(0.25, variance_bound));
    if (index > best_index) {
      best_index = index;
      best = i;
    }
  }
  return best;
}

void Ucb1Tuned::update(std::size_t arm, double reward) {
  arms_[arm].add(reward);
  ++total_;
}

void Ucb1Tuned::reset() {
  arms_.assign(arms_.size(), ArmStats{});
  total_ = 0;
}

}  // namespace hatch

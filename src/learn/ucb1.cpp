#include "learn/ucb1.hpp"

#include <cmath>

namespace hatch {

Ucb1::Ucb1(std::size_t arms, double exploration) : arms_(arms), exploration_(exploration) {}

std::size_t Ucb1::select() {
  std::size_t best = 0;
  double best_index = -1;
  const double log_total = std::log(double(total_));
  for (std::size_t i = 0; i < arms_.size(); ++i) {
    if (arms_[i].pulls == 0) return i;
    const double index =
        arms_[i].mean + exploration_ * std::sqrt(log_total / double(arms_[i].pulls));
    if (index > best_index) {
      best_index = index;
      best = i;
    }
  }
  return best;
}

void Ucb1::update(std::size_t arm, double reward) {
  arms_[arm].add(reward);
  ++total_;
}

void Ucb1::reset() {
  arms_.assign(arms_.size(), ArmStats{});
  total_ = 0;
}

}  // namespace hatch

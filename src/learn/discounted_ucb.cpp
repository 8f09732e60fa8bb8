#include "learn/discounted_ucb.hpp"

#include <cmath>
#include <numeric>

namespace hatch {

DiscountedUcb::DiscountedUcb(std::size_t arms, DiscountedUcbOptions options)
    : weight_(arms, 0.0), sum_(arms, 0.0), options_(options) {}

double DiscountedUcb::mean(std::size_t arm) const {
  return weight_[arm] > 0 ? sum_[arm] / weight_[arm] : 0.0;
}

std::size_t DiscountedUcb::select() {
  for (std::size_t i = 0; i < weight_.size(); ++i)
    if (weight_[i] == 0) return i;
  const double total = std::accumulate(weight_.begin(), weight_.end(), 0.0);
  const double log_total = std::log(std::max(total, 1.0));
  std::size_t best = 0;
  double best_index = -INFINITY;
  for (std::size_t i = 0; i < weight_.size(); ++i) {
    const double index = mean(i) + options_.exploration * std::sqrt(log_total / weight_[i]);
    if (index > best_index) {
      best_index = index;
      best = i;
    }
  }
  return best;
}

void DiscountedUcb::update(std::size_t arm, double reward) {
  for (std::size_t i = 0; i < weight_.size(); ++i) {
    weight_[i] *= options_.gamma;
    sum_[i] *= options_.gamma;
  }
  weight_[arm] += 1;
  sum_[arm] += reward;
}

void DiscountedUcb::reset() {
  weight_.assign(weight_.size(), 0.0);
  sum_.assign(sum_.size(), 0.0);
}

}  // namespace hatch

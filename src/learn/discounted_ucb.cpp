#include "learn/discounted_ucb.hpp"

#include <algorithm>
#include <numeric>

#include "learn/stats_bandit.hpp"

namespace hatch {

DiscountedUcb::DiscountedUcb(std::size_t arms, DiscountedUcbOptions options)
    : weight_(arms, 0.0), sum_(arms, 0.0), options_(options) {}

double DiscountedUcb::mean(std::size_t arm) const {
  return weight_[arm] > 0 ? sum_[arm] / weight_[arm] : 0.0;
}

std::size_t DiscountedUcb::select() {
  const double total = std::accumulate(weight_.begin(), weight_.end(), 0.0);
  const double log_total = std::log(std::max(total, 1.0));
  return select_arm(
      weight_.size(), [&](std::size_t i) { return weight_[i] == 0; },
      [&](std::size_t i) {
        return mean(i) + options_.exploration * std::sqrt(log_total / weight_[i]);
      });
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

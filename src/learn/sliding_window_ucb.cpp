#include "learn/sliding_window_ucb.hpp"

#include <cmath>

namespace hatch {

SlidingWindowUcb::SlidingWindowUcb(std::size_t arms, SlidingWindowUcbOptions options)
    : count_(arms, 0), sum_(arms, 0.0), options_(options) {}

double SlidingWindowUcb::mean(std::size_t arm) const {
  return count_[arm] > 0 ? sum_[arm] / double(count_[arm]) : 0.0;
}

std::size_t SlidingWindowUcb::select() {
  for (std::size_t i = 0; i < count_.size(); ++i)
    if (count_[i] == 0) return i;
  const double log_span = std::log(double(history_.size()));
  std::size_t best = 0;
  double best_index = -INFINITY;
  for (std::size_t i = 0; i < count_.size(); ++i) {
    const double index = mean(i) + options_.exploration * std::sqrt(log_span / double(count_[i]));
    if (index > best_index) {
      best_index = index;
      best = i;
    }
  }
  return best;
}

void SlidingWindowUcb::update(std::size_t arm, double reward) {
  history_.emplace_back(arm, reward);
  ++count_[arm];
  sum_[arm] += reward;
  if (history_.size() > options_.window) {
    const auto [old_arm, old_reward] = history_.front();
    history_.pop_front();
    --count_[old_arm];
    sum_[old_arm] -= old_reward;
  }
}

void SlidingWindowUcb::reset() {
  history_.clear();
  count_.assign(count_.size(), 0);
  sum_.assign(sum_.size(), 0.0);
}

}  // namespace hatch

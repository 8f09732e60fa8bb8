#include "learn/sliding_window_ucb.hpp"

#include "learn/stats_bandit.hpp"

namespace hatch {

SlidingWindowUcb::SlidingWindowUcb(std::size_t arms, SlidingWindowUcbOptions options)
    : count_(arms, 0), sum_(arms, 0.0), options_(options) {}

double SlidingWindowUcb::mean(std::size_t arm) const {
  return count_[arm] > 0 ? sum_[arm] / double(count_[arm]) : 0.0;
}

std::size_t SlidingWindowUcb::select() {
  const double log_span = std::log(double(history_.size()));
  return select_arm(
      count_.size(), [&](std::size_t i) { return count_[i] == 0; },
      [&](std::size_t i) {
        return mean(i) + options_.exploration * std::sqrt(log_span / double(count_[i]));
      });
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

// Sliding-window UCB (Garivier & Moulines 2011): UCB over the last `window` pulls only, so that
// after a shift the old rewards drop out entirely within `window` pulls. An arm with no pull in
// the window is tried first. Index: window mean + c * sqrt(ln min(t, window) / N_window(arm)).
#pragma once

#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "learn/bandit.hpp"

namespace hatch {

struct SlidingWindowUcbOptions {
  // Pulls remembered. Shorter: quicker to follow a change, noisier in between.
  std::size_t window = 100;
  double exploration = 1.4142135623730951;
};

class SlidingWindowUcb final : public Bandit {
 public:
  SlidingWindowUcb(std::size_t arms, SlidingWindowUcbOptions options = {});

  std::size_t arm_count() const override { return count_.size(); }
  std::size_t select() override;
  void update(std::size_t arm, double reward) override;
  void reset() override;

  double mean(std::size_t arm) const;
  std::uint64_t pulls_in_window(std::size_t arm) const { return count_[arm]; }

 private:
  std::deque<std::pair<std::size_t, double>> history_;  // (arm, reward), oldest first
  std::vector<std::uint64_t> count_;
  std::vector<double> sum_;
  SlidingWindowUcbOptions options_;
};

}  // namespace hatch

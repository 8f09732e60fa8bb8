// Discounted UCB (Garivier & Moulines 2011): UCB whose counts and sums fade by a factor gamma
// per pull, so that old rewards weigh less and an arm that became better is found again after
// the environment shifts. Index: discounted mean + c * sqrt(ln n_gamma / N_gamma(arm)).
#pragma once

#include <vector>

#include "learn/bandit.hpp"

namespace hatch {

struct DiscountedUcbOptions {
  // Per-pull discount; the memory is about 1 / (1 - gamma) pulls. Closer to 1: steadier, but
  // slower to follow a change.
  double gamma = 0.95;
  double exploration = 1.4142135623730951;  // c; sqrt(2) matches UCB1
};

class DiscountedUcb final : public Bandit {
 public:
  DiscountedUcb(std::size_t arms, DiscountedUcbOptions options = {});

  std::size_t arm_count() const override { return weight_.size(); }
  std::size_t select() override;
  void update(std::size_t arm, double reward) override;
  void reset() override;

  double mean(std::size_t arm) const;
  double weight(std::size_t arm) const { return weight_[arm]; }  // discounted pull count

 private:
  std::vector<double> weight_;
  std::vector<double> sum_;
  DiscountedUcbOptions options_;
};

}  // namespace hatch

// UCB1 (Auer, Cesa-Bianchi & Fischer 2002): pull every arm once, then the arm with the highest
// mean + sqrt(2 ln t / n). Optimism in the face of uncertainty, with logarithmic regret on a
// stationary problem and no parameter to tune.
#pragma once

#include <vector>

#include "learn/arm_stats.hpp"
#include "learn/bandit.hpp"

namespace hatch {

class Ucb1 final : public Bandit {
 public:
  // `exploration` scales the confidence term; sqrt(2) is the textbook constant, smaller values
  // exploit sooner when rewards vary over much less than [0, 1].
  explicit Ucb1(std::size_t arms, double exploration = 1.4142135623730951);

  std::size_t arm_count() const override { return arms_.size(); }
  std::size_t select() override;
  void update(std::size_t arm, double reward) override;
  void reset() override;

  const ArmStats& arm(std::size_t i) const { return arms_[i]; }

 private:
  std::vector<ArmStats> arms_;
  std::uint64_t total_ = 0;
  double exploration_;
};

}  // namespace hatch

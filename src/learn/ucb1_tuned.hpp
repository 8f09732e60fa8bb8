// UCB1-tuned (Auer et al. 2002): like UCB1, but the confidence term uses each arm's observed
// variance, capped at 1/4 (the largest a [0, 1] reward can have). When rewards vary little, as
// latency rewards of nearby designs do, it stops exploring far sooner than UCB1.
#pragma once

#include <vector>

#include "learn/arm_stats.hpp"
#include "learn/bandit.hpp"

namespace hatch {

class Ucb1Tuned final : public Bandit {
 public:
  explicit Ucb1Tuned(std::size_t arms);

  std::size_t arm_count() const override { return arms_.size(); }
  std::size_t select() override;
  void update(std::size_t arm, double reward) override;
  void reset() override;

  const ArmStats& arm(std::size_t i) const { return arms_[i]; }

 private:
  std::vector<ArmStats> arms_;
  std::uint64_t total_ = 0;
};

}  // namespace hatch

// Epsilon-greedy with decay: with probability epsilon_t pull a uniformly random arm, otherwise
// the arm with the best mean; untried arms go first. epsilon_t = max(floor, initial / (1 +
// decay * t)), so exploration fades like 1/t (the schedule with logarithmic regret) but never
// stops, which lets it notice a slow drift.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "learn/arm_stats.hpp"
#include "learn/bandit.hpp"

namespace hatch {

struct EpsilonGreedyOptions {
  std::uint64_t seed = 1;
  double initial = 1.0;  // epsilon at t = 0
  double decay = 0.05;   // larger: exploration fades sooner
  double floor = 0.01;   // epsilon never drops below this
};

class EpsilonGreedy final : public Bandit {
 public:
  EpsilonGreedy(std::size_t arms, EpsilonGreedyOptions options = {});

  std::size_t arm_count() const override { return arms_.size(); }
  std::size_t select() override;
  void update(std::size_t arm, double reward) override;
  void reset() override;

  double epsilon() const;
  const ArmStats& arm(std::size_t i) const { return arms_[i]; }

 private:
  std::vector<ArmStats> arms_;
  std::uint64_t total_ = 0;
  EpsilonGreedyOptions options_;
  std::mt19937_64 rng_;
};

}  // namespace hatch

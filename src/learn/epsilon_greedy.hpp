// Epsilon-greedy with decay: with probability epsilon_t pull a uniformly random arm, otherwise
// the arm with the best mean; untried arms go first. epsilon_t = max(floor, initial / (1 +
// decay * t)), so exploration fades like 1/t (the schedule with logarithmic regret) but never
// stops, which lets it notice a slow drift.
#pragma once

#include <cstdint>
#include <random>

#include "learn/stats_bandit.hpp"

namespace hatch {

struct EpsilonGreedyOptions {
  std::uint64_t seed = 1;
  double initial = 1.0;  // epsilon at t = 0
  double decay = 0.05;   // larger: exploration fades sooner
  double floor = 0.01;   // epsilon never drops below this
};

class EpsilonGreedy final : public StatsBandit {
 public:
  EpsilonGreedy(std::size_t arms, EpsilonGreedyOptions options = {});

  std::size_t select() override;
  double epsilon() const;

 private:
  EpsilonGreedyOptions options_;
  std::mt19937_64 rng_;
};

}  // namespace hatch

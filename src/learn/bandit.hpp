// The common face of the multi-armed bandits: pick an arm, learn the reward it gave, forget.
//
//   Ucb1 bandit(5);
//   for (int t = 0; t < 1000; ++t) {
//     std::size_t arm = bandit.select();
//     bandit.update(arm, pull(arm));  // reward in [0, 1]
//   }
//
// Rewards are in [0, 1], higher is better. Every bandit is deterministic given its seed (the
// randomised ones take one), and ties go to the lowest arm index, so a run can be replayed.
// A bandit is not thread-safe; each agent owns its own.
#pragma once

#include <cstddef>

namespace hatch {

class Bandit {
 public:
  virtual ~Bandit() = default;

  virtual std::size_t arm_count() const = 0;
  // The arm to pull next. Does not change the bandit's statistics, but a randomised bandit
  // advances its generator.
  virtual std::size_t select() = 0;
  // The reward `arm` gave; `arm` < arm_count(), `reward` in [0, 1].
  virtual void update(std::size_t arm, double reward) = 0;
  // Forgets every observation, as if newly made (the generator keeps its state).
  virtual void reset() = 0;
};

}  // namespace hatch

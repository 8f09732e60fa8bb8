// UCB1-tuned (Auer et al. 2002): like UCB1, but the confidence term uses each arm's observed
// variance, capped at 1/4 (the largest a [0, 1] reward can have). When rewards vary little, as
// latency rewards of nearby designs do, it stops exploring far sooner than UCB1.
#pragma once

#include "learn/stats_bandit.hpp"

namespace hatch {

class Ucb1Tuned final : public StatsBandit {
 public:
  explicit Ucb1Tuned(std::size_t arms) : StatsBandit(arms) {}

  std::size_t select() override;
};

}  // namespace hatch

// UCB1 (Auer, Cesa-Bianchi & Fischer 2002): pull every arm once, then the arm with the highest
// mean + sqrt(2 ln t / n). Optimism in the face of uncertainty, with logarithmic regret on a
// stationary problem and no parameter to tune.
#pragma once

#include "learn/stats_bandit.hpp"

namespace hatch {

class Ucb1 final : public StatsBandit {
 public:
  // `exploration` scales the confidence term; sqrt(2) is the textbook constant, smaller values
  // exploit sooner when rewards vary over much less than [0, 1].
  explicit Ucb1(std::size_t arms, double exploration = 1.4142135623730951)
      : StatsBandit(arms), exploration_(exploration) {}

  std::size_t select() override;

 private:
  double exploration_;
};

}  // namespace hatch

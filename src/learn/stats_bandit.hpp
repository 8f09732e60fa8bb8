// What most bandits share: a running mean and variance per arm (ArmStats) and the total pull
// count, updated and reset the same way, and the choice of the arm with the highest index. A
// bandit built on it only says how it selects. Discounted and sliding-window UCB keep other
// statistics and use only select_arm().
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "learn/arm_stats.hpp"
#include "learn/bandit.hpp"

namespace hatch {

// The first arm for which `untried(i)` holds; otherwise the arm with the highest `index(i)`,
// ties going to the lowest.
template <typename Untried, typename Index>
std::size_t select_arm(std::size_t arms, Untried untried, Index index) {
  for (std::size_t i = 0; i < arms; ++i)
    if (untried(i)) return i;
  std::size_t best = 0;
  double best_index = -INFINITY;
  for (std::size_t i = 0; i < arms; ++i) {
    const double value = index(i);
    if (value > best_index) {
      best_index = value;
      best = i;
    }
  }
  return best;
}

class StatsBandit : public Bandit {
 public:
  explicit StatsBandit(std::size_t arms) : arms_(arms) {}

  std::size_t arm_count() const final { return arms_.size(); }
  void update(std::size_t arm, double reward) final {
    arms_[arm].add(reward);
    ++total_;
  }
  void reset() final {
    arms_.assign(arms_.size(), ArmStats{});
    total_ = 0;
  }

  const ArmStats& arm(std::size_t i) const { return arms_[i]; }
  std::uint64_t total() const { return total_; }
  bool all_tried() const {
    for (const ArmStats& a : arms_)
      if (a.pulls == 0) return false;
    return true;
  }

 protected:
  // select_arm() over these arms, an arm never pulled going first.
  template <typename Index>
  std::size_t select_by(Index index) const {
    return select_arm(
        arms_.size(), [&](std::size_t i) { return arms_[i].pulls == 0; }, index);
  }

 private:
  std::vector<ArmStats> arms_;
  std::uint64_t total_ = 0;
};

}  // namespace hatch

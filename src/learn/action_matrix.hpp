// The action/reward matrix: for every component and every option, how often the component ran
// with that option, and the mean and last reward of those windows. This is each agent's view
// of its actions (the paper's matrix); it is what `hatch sim --csv` and the JSON report export.
#pragma once

#include <string>
#include <vector>

#include "design/design_space.hpp"
#include "learn/arm_stats.hpp"

namespace hatch {

class ActionMatrix {
 public:
  explicit ActionMatrix(const DesignSpace& space);  // `space` must outlive the matrix

  // Credits `reward` to the option each component ran in `choice`.
  void credit(const Choice& choice, double reward);
  const ArmStats& cell(std::size_t component, std::uint32_t option) const {
    return cells_[component][option];
  }

  // Header "component,option,placement,pulls,mean_reward,last_reward", one row per option.
  std::string csv() const;
  // {"components": [{"component": name, "options": [{"option", "placement", "pulls",
  //  "mean_reward", "last_reward"}, ...]}, ...]}
  std::string json() const;

 private:
  const DesignSpace& space_;
  std::vector<std::vector<ArmStats>> cells_;
};

}  // namespace hatch

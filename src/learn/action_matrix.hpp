// The action/reward matrix: for every component and every option it ran with, how often it ran
// with that option, and the mean and last reward of those windows. This is each agent's view
// of its actions (the paper's matrix); it is what `hatch sim --csv` and the JSON report export.
// It is sparse: a component on 32 hosts has 8.6 billion options, of which a run tries a few.
#pragma once

#include <map>
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
  // Zero pulls for an option that never ran.
  ArmStats cell(std::size_t component, OptionIndex option) const;

  // Header "component,option,placement,pulls,mean_reward,last_reward", then one row per option
  // that ran, by component and option.
  std::string csv() const;
  // {"components": [{"component": name, "options": [{"option", "placement", "pulls",
  //  "mean_reward", "last_reward"}, ...]}, ...]}
  std::string json() const;

 private:
  const DesignSpace& space_;
  std::vector<std::map<OptionIndex, ArmStats>> cells_;
};

}  // namespace hatch

#include "learn/action_matrix.hpp"

#include <nlohmann/json.hpp>
#include <sstream>

namespace hatch {

ActionMatrix::ActionMatrix(const DesignSpace& space) : space_(space) {
  for (std::size_t c = 0; c < space.component_count(); ++c)
    cells_.emplace_back(space.options(c).size());
}

void ActionMatrix::credit(const Choice& choice, double reward) {
  for (std::size_t c = 0; c < choice.size() && c < cells_.size(); ++c)
    if (choice[c] < cells_[c].size()) cells_[c][choice[c]].add(reward);
}

std::string ActionMatrix::csv() const {
  std::ostringstream out;
  out.precision(6);
  out << "component,option,placement,pulls,mean_reward,last_reward\n";
  for (std::size_t c = 0; c < cells_.size(); ++c)
    for (std::size_t o = 0; o < cells_[c].size(); ++o) {
      const ArmStats& cell = cells_[c][o];
      // Placements hold commas ("replicated{a,b}"), so that field is quoted.
      out << space_.component(c).name << ',' << o << ",\"" << space_.options(c)[o].to_string()
          << "\"," << cell.pulls << ',' << cell.mean << ',' << cell.last << '\n';
    }
  return out.str();
}

std::string ActionMatrix::json() const {
  nlohmann::json components = nlohmann::json::array();
  for (std::size_t c = 0; c < cells_.size(); ++c) {
    nlohmann::json options = nlohmann::json::array();
    for (std::size_t o = 0; o < cells_[c].size(); ++o) {
      const ArmStats& cell = cells_[c][o];
      options.push_back({{"option", o},
                         {"placement", space_.options(c)[o].to_string()},
                         {"pulls", cell.pulls},
                         {"mean_reward", cell.mean},
                         {"last_reward", cell.last}});
    }
    components.push_back({{"component", space_.component(c).name}, {"options", options}});
  }
  return nlohmann::json{{"components", components}}.dump(2);
}

}  // namespace hatch

#include "learn/action_matrix.hpp"

#include <nlohmann/json.hpp>
#include <sstream>

namespace hatch {

ActionMatrix::ActionMatrix(const DesignSpace& space)
    : space_(space), cells_(space.component_count()) {}

void ActionMatrix::credit(const Choice& choice, double reward) {
  for (std::size_t c = 0; c < choice.size() && c < cells_.size(); ++c)
    if (choice[c] < space_.option_count(c)) cells_[c][choice[c]].add(reward);
}

ArmStats ActionMatrix::cell(std::size_t component, OptionIndex option) const {
  const auto it = cells_.at(component).find(option);
  return it == cells_[component].end() ? ArmStats{} : it->second;
}

std::string ActionMatrix::csv() const {
  std::ostringstream out;
  out.precision(6);
  out << "component,option,placement,pulls,mean_reward,last_reward\n";
  for (std::size_t c = 0; c < cells_.size(); ++c)
    for (const auto& [o, cell] : cells_[c]) {
      // Placements hold commas ("replicated{a,b}"), so that field is quoted.
      out << space_.component(c).name << ',' << o << ",\"" << space_.option(c, o).to_string()
          << "\"," << cell.pulls << ',' << cell.mean << ',' << cell.last << '\n';
    }
  return out.str();
}

std::string ActionMatrix::json() const {
  nlohmann::json components = nlohmann::json::array();
  for (std::size_t c = 0; c < cells_.size(); ++c) {
    nlohmann::json options = nlohmann::json::array();
    for (const auto& [o, cell] : cells_[c]) {
      options.push_back({{"option", o},
                         {"placement", space_.option(c, o).to_string()},
                         {"pulls", cell.pulls},
                         {"mean_reward", cell.mean},
                         {"last_reward", cell.last}});
    }
    components.push_back({{"component", space_.component(c).name}, {"options", options}});
  }
  return nlohmann::json{{"components", components}}.dump(2);
}

}  // namespace hatch

#include "autopilot/learner_state_file.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "hatch/error.hpp"

namespace hatch {
namespace {

constexpr int kVersion = 1;

nlohmann::json design_json(const DesignSpace& space, const Choice& choice) {
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t c = 0; c < space.component_count(); ++c) {
    j[space.component(c).name] = space.option(c, choice[c]).to_string();
  }
  return j;
}

// The option of each component named in `j`, or nullopt (with a note) when one does not fit:
// a component missing from the space, or a placement it does not offer. With `partial`, a
// component that does not fit keeps option 0 (local) instead.
std::optional<Choice> design_of(const nlohmann::json& j, const DesignSpace& space, bool partial,
                                const std::string& what, std::vector<std::string>& notes) {
  Choice choice(space.component_count(), 0);
  std::vector<bool> seen(space.component_count(), false);
  for (const auto& [name, value] : j.items()) {
    std::size_t c = 0;
    while (c < space.component_count() && space.component(c).name != name) ++c;
    if (c == space.component_count()) {
      notes.push_back(what + ": component '" + name + "' is not placed by the autopilot now");
      if (!partial) return std::nullopt;
      continue;
    }
    std::optional<Placement> placement;
    try {
      placement = Placement::parse(value.get<std::string>());
    } catch (const std::exception& e) {
      notes.push_back(what + ": the placement of '" + name + "' does not parse: " + e.what());
    }
    const std::optional<OptionIndex> option = placement ? space.find(c, *placement) : std::nullopt;
    if (!option) {
      if (placement) {
        notes.push_back(what + ": '" + name + "' at " + placement->to_string() +
                        " is not in the design space now (a node that is no longer listed?)");
      }
      if (!partial) return std::nullopt;
      continue;
    }
    choice[c] = *option;
    seen[c] = true;
  }
  for (std::size_t c = 0; c < space.component_count(); ++c) {
    if (seen[c]) continue;
    if (!partial) return std::nullopt;
    notes.push_back(what + ": '" + space.component(c).name + "' starts local");
  }
  return choice;
}

}  // namespace

std::string learner_state_text(const DesignSpace& space, const LearnerMemory& memory) {
  nlohmann::json j;
  j["version"] = kVersion;
  j["incumbent"] = design_json(space, memory.incumbent);
  j["best"] = design_json(space, memory.best);
  j["converged"] = memory.converged;
  j["window_seconds"] = memory.window_seconds;
  nlohmann::json designs = nlohmann::json::array();
  for (const auto& [choice, record] : memory.designs) {
    designs.push_back({{"design", design_json(space, choice)},
                       {"pulls", record.value.pulls},
                       {"mean", record.value.mean},
                       {"sum_squares", record.value.sum_squares},
                       {"last", record.value.last},
                       {"last_seconds", record.last_seconds}});
  }
  j["designs"] = std::move(designs);
  return j.dump(1) + "\n";
}

void save_learner_state(const std::string& path, const DesignSpace& space,
                        const LearnerMemory& memory) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << learner_state_text(space, memory);
    out.flush();
    if (!out) throw UsageError("cannot write the learner's state file '" + temporary + "'");
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    throw UsageError("cannot replace the learner's state file '" + path + "': " + error.message());
  }
}

LoadedState load_learner_state(const std::string& path, const DesignSpace& space) {
  std::ifstream in(path);
  if (!in) {
    if (!std::filesystem::exists(path)) return {};
    throw UsageError("cannot read the learner's state file '" + path + "'");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return read_learner_state(text.str(), "the learner's state file '" + path + "'", space);
}

LoadedState read_learner_state(std::string_view text, const std::string& what,
                               const DesignSpace& space) {
  LoadedState loaded;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    if (j.at("version").get<int>() != kVersion) {
      throw UsageError("version " + j.at("version").dump() + ", this program reads version " +
                       std::to_string(kVersion));
    }
    LearnerMemory memory;
    memory.best = *design_of(j.at("best"), space, true, "the learned design", loaded.notes);
    memory.incumbent = *design_of(j.at("incumbent"), space, true, "the incumbent", loaded.notes);
    memory.converged = j.at("converged").get<bool>();
    memory.window_seconds = j.at("window_seconds").get<double>();
    std::size_t dropped = 0;
    std::vector<std::string> ignored;
    for (const nlohmann::json& d : j.at("designs")) {
      const std::optional<Choice> choice = design_of(d.at("design"), space, false, "", ignored);
      if (!choice) {
        ++dropped;
        continue;
      }
      DesignRecord record;
      record.value.pulls = d.at("pulls").get<std::uint64_t>();
      record.value.mean = d.at("mean").get<double>();
      record.value.sum_squares = d.at("sum_squares").get<double>();
      record.value.last = d.at("last").get<double>();
      record.last_seconds = d.at("last_seconds").get<double>();
      memory.designs.emplace_back(*choice, record);
    }
    if (dropped > 0) {
      loaded.notes.push_back(std::to_string(dropped) +
                             " remembered designs do not fit the design space now; left out");
    }
    loaded.memory = std::move(memory);
  } catch (const UsageError& e) {
    throw UsageError(what + ": " + e.what());
  } catch (const std::exception& e) {
    throw UsageError(what + " is not a state this program wrote: " + e.what());
  }
  return loaded;
}

}  // namespace hatch

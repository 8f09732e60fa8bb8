#include "autopilot/learn_config.hpp"

#include <filesystem>
#include <limits>
#include <set>

#include "hatch/error.hpp"

namespace hatch {
namespace {

// Where a node of the file is, for an error message: "PATH:LINE".
std::string at(const std::string& path, const toml::node& node) {
  return path + ":" + std::to_string(node.source().begin.line);
}

class LearnTable {
 public:
  LearnTable(const toml::table& table, const std::string& path) : table_(table), path_(path) {}

  UsageError error(const std::string& key, const std::string& what) const {
    const toml::node* node = table_.get(key);
    return UsageError((node ? at(path_, *node) : path_) + ": learn." + key + " " + what);
  }

  void boolean(const std::string& key, bool& out) const {
    if (const toml::node* n = table_.get(key)) {
      if (!n->is_boolean()) throw error(key, "must be true or false");
      out = *n->value<bool>();
    }
  }
  void number(const std::string& key, double& out) const {
    if (const toml::node* n = table_.get(key)) {
      if (!n->is_number()) throw error(key, "must be a number");
      out = *n->value<double>();
    }
  }
  void integer(const std::string& key, std::int64_t low, std::int64_t high,
               std::int64_t& out) const {
    if (const toml::node* n = table_.get(key)) {
      if (!n->is_integer()) throw error(key, "must be an integer");
      out = *n->value<std::int64_t>();
      if (out < low || out > high) {
        throw error(key,
                    "must lie between " + std::to_string(low) + " and " + std::to_string(high));
      }
    }
  }
  void milliseconds(const std::string& key, std::chrono::milliseconds& out) const {
    std::int64_t ms = out.count();
    integer(key, 0, 3'600'000, ms);
    out = std::chrono::milliseconds(ms);
  }
  void text(const std::string& key, std::string& out) const {
    if (const toml::node* n = table_.get(key)) {
      if (!n->is_string()) throw error(key, "must be a string");
      out = *n->value<std::string>();
    }
  }
  void names(const std::string& key, std::vector<std::string>& out) const {
    if (const toml::node* n = table_.get(key)) {
      const toml::array* list = n->as_array();
      if (list == nullptr || !list->is_homogeneous(toml::node_type::string)) {
        throw error(key, "must be an array of component names");
      }
      out.clear();
      for (const toml::node& name : *list) out.push_back(*name.value<std::string>());
    }
  }

 private:
  const toml::table& table_;
  const std::string& path_;
};

const std::set<std::string>& known_keys() {
  static const std::set<std::string> keys{"enabled",
                                          "components",
                                          "pins",
                                          "entry",
                                          "window_initial_seconds",
                                          "window_min_seconds",
                                          "window_max_seconds",
                                          "reward",
                                          "reward_cap_ms",
                                          "cost_per_host",
                                          "accept_sigmas",
                                          "noise_floor",
                                          "exploration_budget",
                                          "concurrent_agents",
                                          "twin",
                                          "screen_loss",
                                          "suggest",
                                          "move_horizon_seconds",
                                          "guard_multiple",
                                          "settle_slice_ms",
                                          "settle_tolerance",
                                          "max_settle_ms",
                                          "state_file",
                                          "seed"};
  return keys;
}

}  // namespace

void read_learn_config(const toml::table& root, const std::string& path, AutopilotOptions& out) {
  const toml::node* node = root.get("learn");
  if (node == nullptr) return;
  const toml::table* table = node->as_table();
  if (table == nullptr) throw UsageError(at(path, *node) + ": learn must be a table, [learn]");
  for (const auto& [key, value] : *table) {
    if (known_keys().count(std::string(key.str())) == 0) {
      std::string known;
      for (const std::string& k : known_keys()) known += (known.empty() ? "" : ", ") + k;
      throw UsageError(at(path, value) + ": unknown setting 'learn." + std::string(key.str()) +
                       "' (known: " + known + ")");
    }
  }
  const LearnTable learn(*table, path);
  out.enabled = true;
  learn.boolean("enabled", out.enabled);
  learn.names("components", out.components);
  learn.text("entry", out.entry);
  learn.number("window_initial_seconds", out.window_initial_seconds);
  learn.number("window_min_seconds", out.window_min_seconds);
  learn.number("window_max_seconds", out.window_max_seconds);
  learn.text("reward", out.reward);
  learn.number("reward_cap_ms", out.reward_cap_ms);
  learn.number("cost_per_host", out.cost_per_host);
  learn.number("accept_sigmas", out.accept_sigmas);
  learn.number("noise_floor", out.noise_floor);
  learn.number("exploration_budget", out.exploration_budget);
  std::int64_t crew = out.concurrent_agents;
  learn.integer("concurrent_agents", 1, 64, crew);
  out.concurrent_agents = static_cast<unsigned>(crew);
  learn.boolean("twin", out.twin);
  learn.number("screen_loss", out.screen_loss);
  learn.boolean("suggest", out.suggest);
  learn.number("move_horizon_seconds", out.move_horizon_seconds);
  learn.number("guard_multiple", out.guard_multiple);
  learn.milliseconds("settle_slice_ms", out.settle_slice);
  learn.number("settle_tolerance", out.settle_tolerance);
  learn.milliseconds("max_settle_ms", out.max_settle);
  std::int64_t seed = static_cast<std::int64_t>(out.seed);
  learn.integer("seed", 0, std::numeric_limits<std::int64_t>::max(), seed);
  out.seed = static_cast<std::uint64_t>(seed);
  learn.text("state_file", out.state_file);
  if (!out.state_file.empty() && std::filesystem::path(out.state_file).is_relative()) {
    out.state_file = (std::filesystem::path(path).parent_path() / out.state_file).string();
  }
  if (const toml::node* pins = table->get("pins")) {
    const toml::table* list = pins->as_table();
    if (list == nullptr) {
      throw learn.error("pins", "must be a table of component = \"placement\", [learn.pins]");
    }
    for (const auto& [component, where] : *list) {
      if (!where.is_string()) {
        throw UsageError(at(path, where) + ": learn.pins." + std::string(component.str()) +
                         " must be a placement string such as \"local\" or \"sharded{a,b}\"");
      }
      try {
        out.pins[std::string(component.str())] = Placement::parse(*where.value<std::string>());
      } catch (const UsageError& e) {
        throw UsageError(at(path, where) + ": learn.pins." + std::string(component.str()) + ": " +
                         e.what());
      }
    }
  }
  try {
    out.check();
  } catch (const UsageError& e) {
    // The check names the setting as "learn.KEY ...": point at its line when the file has it.
    const std::string what = e.what();
    const std::string prefix = "learn.";
    if (what.rfind(prefix, 0) == 0) {
      const std::string key = what.substr(prefix.size(), what.find(' ') - prefix.size());
      throw learn.error(key, what.substr(what.find(' ') + 1));
    }
    throw UsageError(path + ": " + what);
  }
}

}  // namespace hatch

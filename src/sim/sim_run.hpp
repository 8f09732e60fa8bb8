// The driver of `hatch sim`: runs the learner against the simulator in simulated time, judges
// it against the exhaustive optimum (or, for huge spaces, the best of 10,000 random designs),
// and writes what it found.
//
//   SimOptions o;
//   o.random = 50; o.seed = 1; o.json_path = "sim.json";
//   return run_sim(o);   // progress on stderr, the summary on stdout; an exit status
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "learn/learner.hpp"
#include "sim/random_scenario.hpp"
#include "sim/scenario.hpp"
#include "sim/sim_report.hpp"

namespace hatch::sim {

struct SimOptions {
  // Either a scenario file, or `random` seeded scenarios (scenario i uses seed + i).
  std::string scenario_path;
  std::size_t random = 0;
  std::uint64_t seed = 1;
  RandomScenarioOptions shape;  // sizes and shift of random scenarios
  // The window at which the workload shifts: a random scenario gets a shift, a file's [shift]
  // moves (a file without one is refused).
  std::optional<std::size_t> shift_at;
  std::size_t max_windows = 300;
  // Spaces up to this many designs are searched exhaustively; beyond, the yardstick is the best
  // of `random_samples` uniformly random designs.
  std::uint64_t brute_force_limit = 30'000'000;
  std::size_t random_samples = 10'000;
  // And the best of coordinate descents from random starts, within this many evaluations (about
  // 3 s on one thread): a judge much stronger than random designs. 0 skips it.
  std::uint64_t descent_evaluations = 20'000'000;
  // The learner's LearnerOptions::concurrent_agents: the most agents exploring at once.
  unsigned concurrent_agents = LearnerOptions{}.concurrent_agents;
  // Fit a twin (sim/twin.hpp) on each scenario's own windows, and report its prediction error.
  bool twin = false;
  // With a twin, the learner's LearnerOptions::screen_loss: probes the twin predicts this much
  // slower than the incumbent are not run. Nothing: the twin only predicts.
  std::optional<double> screen_loss;
  // With a twin, the learner's LearnerOptions::suggest: the designs the twin predicts best run
  // before the agents' turns.
  bool suggest = false;
  unsigned threads = 0;  // for the brute force; 0: one per core
  // The reward's cap: the scenario's, else this, else cap_factor times the response time of a
  // first all-local window (what a live system could measure before it learns).
  std::optional<double> cap_ms;
  double cap_factor = 2;
  std::string json_path;
  std::string csv_path;
  std::string plot_path;
  std::string matrix_path;  // the learner's action/reward matrix, .csv or .json (last scenario)
  bool progress = true;
};

// Runs one scenario to the end. Throws UsageError for a bad scenario or option.
ScenarioReport run_scenario(Scenario scenario, const SimOptions& options, std::uint64_t seed,
                            const std::string& label);

// The whole command: scenarios, the summary on stdout, the files. Returns 0, or 2 after
// printing a clear error on stderr for bad input.
int run_sim(const SimOptions& options);

}  // namespace hatch::sim

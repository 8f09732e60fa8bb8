// The showcase behind `make demo`: the web server learns, live, where its components should run
// on a cluster of nodes, under a workload that shifts, and shows how the design it learns
// compares with all-local and with the best of a sweep of static designs.
//
// The learning is the App's autopilot (hatch/autopilot.hpp), configured by a TOML file
// (apps/webserver/learn.toml); the showcase only drives the workload and judges the result.
// For each workload phase, in order:
//   1. learning: the autopilot runs windows for the phase's learning time, with a progress
//      line per window;
//   2. a sweep: with the autopilot paused, every candidate static design runs one window,
//      measured the same way (Autopilot::measure);
//   3. a comparison: rounds of all-local, the best static design and the learned design (the
//      learner's best), each under the load generator for a while, which reports req/s, p50
//      and p99 as its clients saw them; each design's figures come from its median round. The
//      learned design runs last, so that the next phase starts from it, as it would in
//      production.
// Then it writes reward.csv (every window) and reward.svg (reward over time, the shift marked)
// and, when asked, the bench figures as JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "frontend.hpp"
#include "hatch/autopilot.hpp"
#include "load_generator.hpp"

namespace hatch::web {

struct ShowcasePhase {
  LoadPhase load;        // the workload (its name names the phase; its duration is unused)
  double learn_seconds;  // how long the learner learns in it
};

struct ShowcaseOptions {
  std::vector<std::string> paths;     // the corpus's documents (list_corpus)
  std::vector<ShowcasePhase> phases;  // at least one
  double sweep_window_seconds = 2;    // one window per static candidate
  double compare_seconds = 2;         // per design and round in the comparison (3 rounds)
  std::string out_dir;                // where reward.csv and reward.svg go
  std::string json_path;              // bench figures, when not empty
  std::uint64_t seed = 1;             // the load generator's (the learner's is in learn.toml)
};

// Runs the showcase against `frontend`, whose components `autopilot` places (its nodes are
// named A, B, C, ... in the output), and prints as it goes. Returns 0, or 1 when a phase ended
// with an error (a failed transition, failed requests).
int run_showcase(Autopilot& autopilot, Frontend& frontend, const ShowcaseOptions& options);

}  // namespace hatch::web

// What `hatch sim` found for each scenario, and the files it writes from that: the convergence
// curve (CSV), the plot (SVG), the machine-readable summary (JSON) and the table on stdout.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "design/design_space.hpp"

namespace hatch::sim {

// One window of a run. Latencies are the model's expectations, not the noisy measurements.
struct WindowRecord {
  std::size_t window = 0;        // 1-based
  double simulated_seconds = 0;  // at the window's end, transitions' settling included
  double window_seconds = 0;
  double reward = 0;
  double run_latency_ms = 0;   // the design that ran
  double best_latency_ms = 0;  // the learner's best design after the window
  double reference_ms = 0;     // the optimum (or best-of-random) of the window's workload
  bool shifted = false;
  std::string phase;  // the learner's phase when it proposed the design
  // With a twin (SimOptions::twin): its prediction for the design before it ran, the window's
  // measured mean entry latency, and whether the design ran for the first time.
  std::optional<double> twin_ms;
  double measured_ms = 0;
  bool first_run = false;
};

// The yardstick of one workload phase: the exhaustive optimum, or for spaces too large to
// search, the best of N random designs.
struct Reference {
  bool exhaustive = false;
  double latency_ms = 0;
  std::string design;
  Choice choice;
  double search_seconds = 0;
  double ns_per_design = 0;  // one evaluation on one thread
  // For spaces too large to search: the best of coordinate descents (a stronger judge than
  // random designs), its design and the seconds it took.
  std::optional<double> descent_ms;
  std::string descent_design;
  double descent_seconds = 0;
};

struct ScenarioReport {
  std::string name;
  std::string designs;  // exact, decimal
  double log10_designs = 0;
  double all_local_ms = 0;
  double reward_cap_ms = 0;
  Reference before;                // the workload at the start
  std::optional<Reference> after;  // the workload after the shift
  std::optional<std::size_t> shift_at;
  // The design best before the shift, under the new workload, over the new reference: how much
  // a learner that did not adapt would lose.
  double shift_penalty = 1;
  double final_ms = 0;
  std::string final_design;
  bool final_within_5pct = false;      // of the final phase's optimum (exhaustive only)
  bool final_beats_reference = false;  // at most the final phase's reference latency
  // The final design over the final phase's best of descents, when there is one.
  std::optional<double> final_over_descent;
  // The first window from which the learner's best design stayed within 5% of the optimum until
  // the shift (or the end); nothing when it never did or there is no exhaustive optimum.
  std::optional<std::size_t> windows_to_within_5pct;
  // Likewise for the best-of-random reference: the first window from which it stayed at or below.
  std::optional<std::size_t> windows_to_beat_reference;
  // Windows after the shift until the best design stayed within 5% of the new optimum.
  std::optional<std::size_t> reconverge_windows;
  std::size_t windows_total = 0;
  double simulated_seconds = 0;
  // Regret, what a live system pays for learning (all against each window's reference):
  // the mean over windows of (the latency of the design that ran / the reference - 1);
  double mean_regret = 0;
  // the windows after convergence (from windows_to_within_5pct to the shift, and from the
  // reconvergence to the end), and of those the ones whose design ran above 1.1x the reference;
  std::size_t settled_windows = 0;
  std::size_t settled_bad_windows = 0;
  // the worst window over the learner's incumbent (its best before that window).
  double worst_over_incumbent = 1;
  // The twin's prediction error, |predicted / actual - 1|, median over windows: against each
  // window's measured latency (what a live system can report), and against the model's
  // expectation for designs that ran for the first time (the probes a twin would screen).
  std::optional<double> twin_error;
  std::optional<double> twin_new_design_error;
  std::vector<WindowRecord> curve;
};

struct Aggregate {
  std::size_t scenarios = 0;
  std::size_t exhaustive = 0;            // scenarios with an exhaustive optimum
  double within5_fraction = 0;           // of those, ending within 5%
  std::optional<double> median_windows;  // to within 5%; never-converged count as infinite
  std::size_t shifted = 0;
  std::optional<double> median_reconverge_windows;
  std::size_t sampled = 0;              // scenarios judged against random designs
  double beats_reference_fraction = 0;  // of those, ending at or below the best of them
  // Of those, the fraction ending at or below the best of coordinate descents, and the median
  // of final / best of descents.
  double beats_descent_fraction = 0;
  std::optional<double> median_final_over_descent;
  // Regret over the scenarios with an exhaustive optimum: the median of their mean regrets,
  // the settled windows above 1.1x the optimum over all their settled windows (pooled), and the
  // worst window over its incumbent in any of them.
  std::optional<double> median_regret;
  std::optional<double> settled_bad_fraction;
  double worst_over_incumbent = 1;
  // The twin's errors as in ScenarioReport, median over the windows of every scenario.
  std::optional<double> twin_error;
  std::optional<double> twin_new_design_error;
};

// Fills the per-scenario conclusions (within 5%, windows) from its curve.
void conclude(ScenarioReport& report);
Aggregate aggregate(const std::vector<ScenarioReport>& reports);

std::string to_csv(const std::vector<ScenarioReport>& reports);
std::string to_json(const std::vector<ScenarioReport>& reports, const Aggregate& total);
std::string to_svg(const std::vector<ScenarioReport>& reports);
// The end-of-run text: one scenario in full, or a table with the aggregate for several.
std::string summary_text(const std::vector<ScenarioReport>& reports, const Aggregate& total);

}  // namespace hatch::sim

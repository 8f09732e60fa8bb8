#include "sim/sim_run.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "sim/svg_plot.hpp"

namespace hatch::sim {
namespace {

// A concluded report of windows whose learner's best was `best` and whose design run was `run`
// (the best itself when empty).
ScenarioReport synthetic(const std::vector<double>& best, double optimum,
                         std::optional<std::size_t> shift_at = std::nullopt,
                         const std::vector<double>& run = {}) {
  ScenarioReport r;
  r.name = "synthetic";
  r.designs = "1000";
  r.before.exhaustive = true;
  r.before.latency_ms = optimum;
  r.before.design = "a";
  if (shift_at) {
    r.after = r.before;
    r.after->design = "b";
    r.shift_at = shift_at;
  }
  for (std::size_t i = 0; i < best.size(); ++i) {
    WindowRecord w;
    w.window = i + 1;
    w.best_latency_ms = best[i];
    w.run_latency_ms = run.empty() ? best[i] : run[i];
    w.reference_ms = optimum;
    w.shifted = shift_at && w.window >= *shift_at;
    r.curve.push_back(w);
  }
  conclude(r);
  return r;
}

TEST(SimReport, CountsWindowsUntilTheBestStaysWithinFivePercent) {
  // Within 5% at window 2, out again at 3, within for good from window 4.
  const ScenarioReport r = synthetic({3, 1.04, 1.2, 1.05, 1.01, 1.0}, 1.0);
  EXPECT_EQ(r.windows_to_within_5pct, 4u);
  EXPECT_TRUE(r.final_within_5pct);
  EXPECT_DOUBLE_EQ(r.final_ms, 1.0);
  EXPECT_EQ(r.windows_total, 6u);
  const ScenarioReport never = synthetic({3, 1.0, 1.2}, 1.0);
  EXPECT_FALSE(never.windows_to_within_5pct);
  EXPECT_FALSE(never.final_within_5pct);
}

TEST(SimReport, CountsReconvergenceFromTheShift) {
  // Shift at window 4: windows 4 and 5 are off, from 6 on within.
  const ScenarioReport r = synthetic({2, 1.0, 1.0, 1.5, 1.3, 1.02, 1.0}, 1.0, 4);
  EXPECT_EQ(r.windows_to_within_5pct, 2u);
  EXPECT_EQ(r.reconverge_windows, 3u);
}

TEST(SimReport, AggregatesWithNeverConvergedAsInfinite) {
  const std::vector<ScenarioReport> reports = {synthetic({1.0}, 1.0), synthetic({2, 1.0}, 1.0),
                                               synthetic({2, 2}, 1.0)};
  const Aggregate a = aggregate(reports);
  EXPECT_EQ(a.scenarios, 3u);
  EXPECT_NEAR(a.within5_fraction, 2.0 / 3, 1e-12);
  EXPECT_EQ(a.median_windows, 2.0);
  const Aggregate worse =
      aggregate({synthetic({2, 2}, 1.0), synthetic({2, 2}, 1.0), synthetic({1.0}, 1.0)});
  EXPECT_FALSE(worse.median_windows);
}

TEST(SimReport, MeasuresRegretAndTheWindowsThatRanBadlyAfterConvergence) {
  // Within 5% from window 2; windows 2 and 4 then ran designs above 1.1x the optimum.
  const ScenarioReport r =
      synthetic({3, 1.0, 1.0, 1.0, 1.0}, 1.0, std::nullopt, {3, 2.0, 1.0, 1.2, 1.05});
  EXPECT_EQ(r.windows_to_within_5pct, 2u);
  EXPECT_NEAR(r.mean_regret, (2 + 1 + 0 + 0.2 + 0.05) / 5, 1e-12);
  EXPECT_EQ(r.settled_windows, 4u);
  EXPECT_EQ(r.settled_bad_windows, 2u);
  EXPECT_NEAR(r.worst_over_incumbent, 1.2, 1e-12);  // window 4 over the best after window 3
  // After a shift, the windows count again once the best is back within 5%.
  const ScenarioReport shifted =
      synthetic({1.0, 1.0, 2.0, 1.0, 1.0}, 1.0, 3, {1.0, 1.5, 2.0, 1.5, 1.0});
  EXPECT_EQ(shifted.settled_windows, 2u + 2u);  // windows 1-2, then 4-5
  EXPECT_EQ(shifted.settled_bad_windows, 2u);   // windows 2 and 4
  const Aggregate a = aggregate({r, shifted});
  EXPECT_NEAR(*a.settled_bad_fraction, 4.0 / 8, 1e-12);
  EXPECT_NEAR(a.worst_over_incumbent, 2.0, 1e-12);  // the shift window over the best before it
  const ScenarioReport never = synthetic({3, 2}, 1.0);
  EXPECT_EQ(never.settled_windows, 0u) << "a run that never converges has no settled windows";
}

TEST(SimReport, WritesCsvJsonAndSvg) {
  const std::vector<ScenarioReport> reports = {synthetic({2, 1.0}, 1.0, 2)};
  const std::string csv = to_csv(reports);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "scenario,window,simulated_seconds,window_seconds,reward,run_latency_ms,"
            "best_latency_ms,optimum_ms,shifted,phase,twin_ms");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);
  const nlohmann::json j = nlohmann::json::parse(to_json(reports, aggregate(reports)));
  for (const char* key :
       {"designs", "optimum_latency", "final_latency", "windows_to_within_5pct", "windows_total",
        "reconverge_windows", "scenarios", "aggregate", "mean_regret", "settled_windows",
        "settled_bad_windows", "worst_over_incumbent"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["windows_total"], 2);
  const std::string svg = to_svg(reports);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find(">shift<"), std::string::npos);
  EXPECT_NE(render_svg(SvgPlot{}).find("</svg>"), std::string::npos);
}

TEST(SimRun, RunsTheLearnerAgainstARandomScenario) {
  SimOptions options;
  options.max_windows = 40;
  options.brute_force_limit = 0;  // judge against random designs: fast
  options.random_samples = 500;
  options.descent_evaluations = 20'000;
  options.progress = false;
  const ScenarioReport a = run_scenario(
      random_scenario(4, {.components = 5, .nodes = 4, .shift_at = 20}), options, 4, "test");
  EXPECT_EQ(a.windows_total, 40u);
  EXPECT_EQ(a.curve.size(), 40u);
  EXPECT_FALSE(a.before.exhaustive);
  ASSERT_TRUE(a.before.descent_ms) << "a space too large to search is judged by descents too";
  ASSERT_TRUE(a.final_over_descent);
  EXPECT_NEAR(*a.final_over_descent, a.final_ms / *a.after->descent_ms, 1e-12);
  ASSERT_TRUE(a.after);
  EXPECT_FALSE(a.curve[18].shifted);
  EXPECT_TRUE(a.curve[19].shifted);
  EXPECT_GT(a.simulated_seconds, 0);
  for (const WindowRecord& w : a.curve) {
    EXPECT_GE(w.reward, 0);
    EXPECT_LE(w.reward, 1);
  }
  const ScenarioReport b = run_scenario(
      random_scenario(4, {.components = 5, .nodes = 4, .shift_at = 20}), options, 4, "test");
  EXPECT_EQ(a.final_design, b.final_design);  // seeded end to end
  EXPECT_EQ(a.curve.back().reward, b.curve.back().reward);
  EXPECT_FALSE(a.twin_error) << "no twin unless asked";
}

TEST(SimRun, ATwinPredictsEachWindowFromTheWindowsBeforeIt) {
  SimOptions options;
  options.max_windows = 40;
  options.brute_force_limit = 0;
  options.random_samples = 500;
  options.descent_evaluations = 0;
  options.progress = false;
  options.twin = true;
  const ScenarioReport r =
      run_scenario(random_scenario(4, {.components = 5, .nodes = 4}), options, 4, "test");
  ASSERT_EQ(r.curve.size(), 40u);
  EXPECT_FALSE(r.curve[0].twin_ms) << "nothing to predict from before the first window";
  EXPECT_TRUE(r.curve[0].first_run);
  std::size_t first_runs = 0;
  for (std::size_t i = 1; i < r.curve.size(); ++i) {
    ASSERT_TRUE(r.curve[i].twin_ms) << "window " << i + 1;
    EXPECT_GT(*r.curve[i].twin_ms, 0);
    EXPECT_GT(r.curve[i].measured_ms, 0);
    if (r.curve[i].first_run) ++first_runs;
  }
  EXPECT_GT(first_runs, 0u);
  ASSERT_TRUE(r.twin_error);
  ASSERT_TRUE(r.twin_new_design_error);
  // Twin and windows are seeded: the same run gives the same errors.
  const ScenarioReport again =
      run_scenario(random_scenario(4, {.components = 5, .nodes = 4}), options, 4, "test");
  EXPECT_EQ(*again.twin_error, *r.twin_error);
  // The CSV's last column: empty for the first window, the prediction after it.
  const std::string csv = to_csv({r});
  const std::size_t second = csv.find('\n', csv.find('\n') + 1);
  EXPECT_EQ(csv[second - 1], ',');
  EXPECT_NE(csv[csv.find('\n', second + 1) - 1], ',');
}

}  // namespace
}  // namespace hatch::sim

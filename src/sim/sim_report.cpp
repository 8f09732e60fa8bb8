#include "sim/sim_report.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/svg_plot.hpp"

namespace hatch::sim {
namespace {

constexpr double kWithin = 1.05;
// A settled window whose design ran above this many times the optimum counts as a bad one.
constexpr double kBadWindow = 1.1;

// The first window of [first, last) from which `good` held to the end of the range, counted
// from `first` (1 = from the start); nothing when it does not hold at the end.
template <typename Good>
std::optional<std::size_t> settled_from(const std::vector<WindowRecord>& curve, std::size_t first,
                                        std::size_t last, Good good) {
  if (first >= last || !good(curve[last - 1])) return std::nullopt;
  std::size_t from = last - 1;
  while (from > first && good(curve[from - 1])) --from;
  return from - first + 1;
}

std::optional<double> median(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  const double mid =
      v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  if (!std::isfinite(mid)) return std::nullopt;
  return mid;
}

std::optional<double> median(const std::vector<std::optional<std::size_t>>& values) {
  std::vector<double> v;
  for (const auto& x : values) {
    v.push_back(x ? static_cast<double>(*x) : std::numeric_limits<double>::infinity());
  }
  return median(std::move(v));
}

// The regret figures of a concluded report (see ScenarioReport).
void measure_regret(ScenarioReport& r, std::size_t shift) {
  const std::size_t total = r.curve.size();
  double sum = 0;
  for (std::size_t i = 0; i < total; ++i) {
    const WindowRecord& w = r.curve[i];
    sum += w.run_latency_ms / w.reference_ms - 1;
    if (i > 0) {
      r.worst_over_incumbent =
          std::max(r.worst_over_incumbent, w.run_latency_ms / r.curve[i - 1].best_latency_ms);
    }
  }
  r.mean_regret = total > 0 ? sum / static_cast<double>(total) : 0;
  auto count_settled = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      ++r.settled_windows;
      if (r.curve[i].run_latency_ms > kBadWindow * r.curve[i].reference_ms) {
        ++r.settled_bad_windows;
      }
    }
  };
  if (r.windows_to_within_5pct) count_settled(*r.windows_to_within_5pct - 1, shift);
  if (r.reconverge_windows) count_settled(shift + *r.reconverge_windows - 1, total);
}

// The twin's errors over `curve`: against the measured latency of every window it predicted,
// or against the model's expectation of first runs only.
void add_twin_errors(const std::vector<WindowRecord>& curve, bool first_runs,
                     std::vector<double>& out) {
  for (const WindowRecord& w : curve) {
    if (!w.twin_ms || (first_runs && !w.first_run)) continue;
    const double actual = first_runs ? w.run_latency_ms : w.measured_ms;
    if (actual > 0) out.push_back(std::abs(*w.twin_ms / actual - 1));
  }
}

nlohmann::json optional_json(const std::optional<std::size_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
nlohmann::json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json scenario_json(const ScenarioReport& r) {
  nlohmann::json j;
  j["name"] = r.name;
  j["designs"] = r.designs;
  j["designs_log10"] = r.log10_designs;
  j["all_local_latency"] = r.all_local_ms;
  j["reward_cap_ms"] = r.reward_cap_ms;
  j["exhaustive"] = r.before.exhaustive;
  j["optimum_latency"] = r.before.exhaustive ? nlohmann::json(r.before.latency_ms) : nullptr;
  j["optimum_design"] = r.before.exhaustive ? nlohmann::json(r.before.design) : nullptr;
  j["random_best_latency"] =
      r.before.exhaustive ? nlohmann::json(nullptr) : nlohmann::json(r.before.latency_ms);
  j["search_seconds"] = r.before.search_seconds;
  j["ns_per_design"] = r.before.ns_per_design;
  j["final_latency"] = r.final_ms;
  j["final_design"] = r.final_design;
  j["final_within_5pct"] = r.final_within_5pct;
  j["final_beats_reference"] = r.final_beats_reference;
  j["descent_latency"] = optional_json(r.before.descent_ms);
  j["descent_design"] = r.before.descent_design;
  j["descent_seconds"] = r.before.descent_seconds;
  j["final_over_descent"] = optional_json(r.final_over_descent);
  j["windows_to_within_5pct"] = optional_json(r.windows_to_within_5pct);
  j["windows_to_beat_reference"] = optional_json(r.windows_to_beat_reference);
  j["windows_total"] = r.windows_total;
  j["simulated_seconds"] = r.simulated_seconds;
  j["shift_at"] = optional_json(r.shift_at);
  j["reconverge_windows"] = optional_json(r.reconverge_windows);
  j["shift_penalty"] = r.shift_penalty;
  j["mean_regret"] = r.mean_regret;
  j["settled_windows"] = r.settled_windows;
  j["settled_bad_windows"] = r.settled_bad_windows;
  j["worst_over_incumbent"] = r.worst_over_incumbent;
  j["twin_error"] = optional_json(r.twin_error);
  j["twin_new_design_error"] = optional_json(r.twin_new_design_error);
  if (r.after) {
    j["optimum_after_shift_latency"] = r.after->latency_ms;
    j["optimum_after_shift_design"] = r.after->design;
  }
  return j;
}

std::string with_commas(const std::string& digits) {
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string show(const std::optional<std::size_t>& v) {
  return v ? std::to_string(*v) : "-";
}

std::string regret_line(const ScenarioReport& r) {
  return fmt::format(
      "regret: mean {:.3f} over all windows; {} of {} windows after convergence ran above "
      "{:g}x the optimum; the worst window ran {:.2f}x the learner's best before it\n",
      r.mean_regret, r.settled_bad_windows, r.settled_windows, kBadWindow, r.worst_over_incumbent);
}

}  // namespace

void conclude(ScenarioReport& r) {
  const std::size_t total = r.curve.size();
  std::size_t shift = total;
  for (std::size_t i = 0; i < total; ++i) {
    if (r.curve[i].shifted) {
      shift = i;
      break;
    }
  }
  auto within = [](const WindowRecord& w) { return w.best_latency_ms <= kWithin * w.reference_ms; };
  auto beats = [](const WindowRecord& w) {
    return w.best_latency_ms <= w.reference_ms * (1 + 1e-12);
  };
  r.windows_total = total;
  if (r.before.exhaustive) r.windows_to_within_5pct = settled_from(r.curve, 0, shift, within);
  r.windows_to_beat_reference = settled_from(r.curve, 0, shift, beats);
  if (r.after && r.after->exhaustive && shift < total) {
    r.reconverge_windows = settled_from(r.curve, shift, total, within);
  }
  measure_regret(r, shift);
  std::vector<double> errors;
  add_twin_errors(r.curve, false, errors);
  r.twin_error = median(std::move(errors));
  errors.clear();
  add_twin_errors(r.curve, true, errors);
  r.twin_new_design_error = median(std::move(errors));
  if (total == 0) return;
  const WindowRecord& last = r.curve.back();
  const Reference& reference = shift < total && r.after ? *r.after : r.before;
  r.final_ms = last.best_latency_ms;
  r.final_within_5pct = reference.exhaustive && within(last);
  r.final_beats_reference = beats(last);
  if (reference.descent_ms) r.final_over_descent = last.best_latency_ms / *reference.descent_ms;
  r.simulated_seconds = last.simulated_seconds;
}

Aggregate aggregate(const std::vector<ScenarioReport>& reports) {
  Aggregate a;
  a.scenarios = reports.size();
  std::size_t within = 0;
  std::size_t beats = 0;
  std::size_t sampled = 0;
  std::vector<std::optional<std::size_t>> windows;
  std::vector<std::optional<std::size_t>> reconverge;
  std::vector<double> regrets;
  std::vector<double> over_descent;
  std::size_t beats_descent = 0;
  std::size_t settled = 0;
  std::size_t settled_bad = 0;
  for (const ScenarioReport& r : reports) {
    if (r.before.exhaustive) {
      regrets.push_back(r.mean_regret);
      settled += r.settled_windows;
      settled_bad += r.settled_bad_windows;
      a.worst_over_incumbent = std::max(a.worst_over_incumbent, r.worst_over_incumbent);
    }
    if (!r.before.exhaustive) {
      ++sampled;
      if (r.final_beats_reference) ++beats;
      if (r.final_over_descent) {
        over_descent.push_back(*r.final_over_descent);
        if (*r.final_over_descent <= 1 + 1e-12) ++beats_descent;
      }
    }
    if (r.before.exhaustive) {
      ++a.exhaustive;
      if (r.final_within_5pct) ++within;
      windows.push_back(r.windows_to_within_5pct);
    }
    if (r.after && r.after->exhaustive) {
      ++a.shifted;
      reconverge.push_back(r.reconverge_windows);
    }
  }
  a.within5_fraction = a.exhaustive > 0 ? static_cast<double>(within) / a.exhaustive : 0;
  a.sampled = sampled;
  a.beats_reference_fraction = sampled > 0 ? static_cast<double>(beats) / sampled : 0;
  a.beats_descent_fraction =
      over_descent.empty() ? 0 : static_cast<double>(beats_descent) / over_descent.size();
  a.median_final_over_descent = median(std::move(over_descent));
  a.median_windows = median(windows);
  a.median_reconverge_windows = median(reconverge);
  a.median_regret = median(std::move(regrets));
  if (settled > 0) a.settled_bad_fraction = static_cast<double>(settled_bad) / settled;
  std::vector<double> twin_errors;
  std::vector<double> twin_new_errors;
  for (const ScenarioReport& r : reports) {
    add_twin_errors(r.curve, false, twin_errors);
    add_twin_errors(r.curve, true, twin_new_errors);
  }
  a.twin_error = median(std::move(twin_errors));
  a.twin_new_design_error = median(std::move(twin_new_errors));
  return a;
}

std::string to_csv(const std::vector<ScenarioReport>& reports) {
  std::string out =
      "scenario,window,simulated_seconds,window_seconds,reward,run_latency_ms,best_latency_ms,"
      "optimum_ms,shifted,phase,twin_ms\n";
  for (const ScenarioReport& r : reports) {
    for (const WindowRecord& w : r.curve) {
      out += fmt::format("{},{},{:.3f},{:.3f},{:.6f},{:.6g},{:.6g},{:.6g},{},\"{}\",{}\n", r.name,
                         w.window, w.simulated_seconds, w.window_seconds, w.reward,
                         w.run_latency_ms, w.best_latency_ms, w.reference_ms, w.shifted ? 1 : 0,
                         w.phase, w.twin_ms ? fmt::format("{:.6g}", *w.twin_ms) : std::string());
    }
  }
  return out;
}

std::string to_json(const std::vector<ScenarioReport>& reports, const Aggregate& total) {
  nlohmann::json j;
  if (reports.size() == 1) j = scenario_json(reports[0]);
  j["scenarios"] = nlohmann::json::array();
  for (const ScenarioReport& r : reports) j["scenarios"].push_back(scenario_json(r));
  nlohmann::json a;
  a["scenarios"] = total.scenarios;
  a["exhaustive_scenarios"] = total.exhaustive;
  a["within5_fraction"] = total.within5_fraction;
  a["median_windows"] = optional_json(total.median_windows);
  a["shifted_scenarios"] = total.shifted;
  a["median_reconverge_windows"] = optional_json(total.median_reconverge_windows);
  a["sampled_scenarios"] = total.sampled;
  a["beats_random_fraction"] = total.beats_reference_fraction;
  a["beats_descent_fraction"] = total.beats_descent_fraction;
  a["median_final_over_descent"] = optional_json(total.median_final_over_descent);
  a["median_regret"] = optional_json(total.median_regret);
  a["settled_bad_fraction"] = optional_json(total.settled_bad_fraction);
  a["worst_over_incumbent"] = total.worst_over_incumbent;
  a["twin_error"] = optional_json(total.twin_error);
  a["twin_new_design_error"] = optional_json(total.twin_new_design_error);
  j["aggregate"] = a;
  return j.dump(2) + "\n";
}

std::string to_svg(const std::vector<ScenarioReport>& reports) {
  SvgPlot plot;
  plot.x_label = "window";
  if (reports.size() == 1) {
    const ScenarioReport& r = reports[0];
    plot.title = "hatch sim: " + r.name + " (" + with_commas(r.designs) + " designs)";
    plot.y_label = "expected latency (ms)";
    SvgSeries run{"design run", "#bbbbbb", 1, {}, {}};
    SvgSeries best{"learner's best", "#1f77b4", 2.5, {}, {}};
    SvgSeries reference{r.before.exhaustive ? "optimum" : "best of random", "#2ca02c", 1.5, {}, {}};
    reference.dashed = true;
    for (const WindowRecord& w : r.curve) {
      for (SvgSeries* s : {&run, &best, &reference}) s->x.push_back(static_cast<double>(w.window));
      run.y.push_back(w.run_latency_ms);
      best.y.push_back(w.best_latency_ms);
      reference.y.push_back(w.reference_ms);
    }
    plot.series = {run, reference, best};
    if (r.shift_at) plot.markers.push_back({static_cast<double>(*r.shift_at), "shift"});
    return render_svg(plot);
  }
  plot.title =
      fmt::format("hatch sim: {} scenarios, learner's best over the optimum", reports.size());
  plot.y_label = "best latency / optimum";
  static const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  double longest = 0;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    SvgSeries s{"", kColors[i % 10], 1, {}, {}};
    for (const WindowRecord& w : reports[i].curve) {
      s.x.push_back(static_cast<double>(w.window));
      s.y.push_back(w.best_latency_ms / w.reference_ms);
      longest = std::max(longest, static_cast<double>(w.window));
    }
    plot.series.push_back(std::move(s));
  }
  SvgSeries band{"within 5%", "#000000", 1.5, {1, longest}, {kWithin, kWithin}};
  band.dashed = true;
  plot.series.push_back(band);
  if (!reports.empty() && reports[0].shift_at) {
    plot.markers.push_back({static_cast<double>(*reports[0].shift_at), "shift"});
  }
  return render_svg(plot);
}

std::string summary_text(const std::vector<ScenarioReport>& reports, const Aggregate& total) {
  std::string out;
  auto reference_line = [](const Reference& ref, const char* when) {
    if (ref.exhaustive) {
      return fmt::format(
          "optimum{}: {:.3f} ms, exhaustive in {:.1f} s ({:.0f} ns per design per thread)\n  {}\n",
          when, ref.latency_ms, ref.search_seconds, ref.ns_per_design, ref.design);
    }
    std::string text =
        fmt::format("best of 10,000 random designs{}: {:.3f} ms (no brute force)\n  {}\n", when,
                    ref.latency_ms, ref.design);
    if (ref.descent_ms) {
      text += fmt::format("best of coordinate descents{}: {:.3f} ms, in {:.1f} s\n  {}\n", when,
                          *ref.descent_ms, ref.descent_seconds, ref.descent_design);
    }
    return text;
  };
  if (reports.size() == 1) {
    const ScenarioReport& r = reports[0];
    out += fmt::format("scenario {}: {} designs (10^{:.2f})\n", r.name, with_commas(r.designs),
                       r.log10_designs);
    out += fmt::format("all-local: {:.3f} ms; reward cap {:.3f} ms\n", r.all_local_ms,
                       r.reward_cap_ms);
    out += reference_line(r.before, r.after ? " before the shift" : "");
    out += fmt::format("learner: final {:.3f} ms after {} windows ({:.0f} s simulated)\n  {}\n",
                       r.final_ms, r.windows_total, r.simulated_seconds, r.final_design);
    if (r.before.exhaustive) {
      out +=
          fmt::format("windows to within 5% of the optimum: {}\n", show(r.windows_to_within_5pct));
      out += regret_line(r);
    } else {
      out += fmt::format("final design beats the best of 10,000 random: {} (from window {})\n",
                         r.final_beats_reference ? "yes" : "no", show(r.windows_to_beat_reference));
      if (r.final_over_descent) {
        out += fmt::format("final design over the best of coordinate descents: {:.3f}\n",
                           *r.final_over_descent);
      }
    }
    if (r.after) {
      out += reference_line(*r.after, " after the shift");
      out += fmt::format("the old best design after the shift: {:.2f}x the new optimum\n",
                         r.shift_penalty);
      out += fmt::format("windows after the shift at window {} to within 5% again: {}\n",
                         r.shift_at.value_or(0), show(r.reconverge_windows));
    }
    return out;
  }
  out += fmt::format("{:<14} {:>14} {:>11} {:>11} {:>7} {:>8} {:>8} {:>16} {:>7} {:>9}\n",
                     "scenario", "designs", "reference", "final", "ratio", "within5", "windows",
                     "reconverge (hurt)", "regret", "bad/settl");
  for (const ScenarioReport& r : reports) {
    const Reference& ref = r.after ? *r.after : r.before;
    out += fmt::format(
        "{:<14} {:>14} {:>9.3f}{} {:>8.3f} ms {:>7.3f} {:>8} {:>8} {:>16} {:>7.3f} {:>9}\n", r.name,
        r.log10_designs < 15 ? with_commas(r.designs) : fmt::format("10^{:.1f}", r.log10_designs),
        ref.latency_ms, ref.exhaustive ? " *" : " r", r.final_ms, r.final_ms / ref.latency_ms,
        ref.exhaustive ? (r.final_within_5pct ? "yes" : "no") : "-",
        r.before.exhaustive ? show(r.windows_to_within_5pct) : show(r.windows_to_beat_reference),
        r.after ? fmt::format("{} ({:.2f}x)", show(r.reconverge_windows), r.shift_penalty) : "-",
        r.mean_regret, fmt::format("{}/{}", r.settled_bad_windows, r.settled_windows));
  }
  out +=
      "(* exhaustive optimum, r best of 10,000 random designs; windows: to within 5% of the "
      "optimum, or to beat the random best; hurt: the old best design after the shift over the "
      "new optimum; regret: mean over windows of the design run over the reference, minus 1; "
      "bad/settl: windows after convergence that ran above 1.1x the optimum, of all of them)\n";
  auto median_text = [](const std::optional<double>& m) {
    return m ? fmt::format("{:g}", *m) : std::string("not reached by half");
  };
  if (total.exhaustive > 0) {
    out += fmt::format(
        "within 5% of the optimum at the end: {:.0f}% of {} scenarios; median "
        "windows to within 5%: {}\n",
        100 * total.within5_fraction, total.exhaustive, median_text(total.median_windows));
  }
  if (total.median_regret) {
    out += fmt::format(
        "regret: median of the mean regrets {:.3f}; windows after convergence above {:g}x the "
        "optimum: {}; worst window over the learner's best before it: {:.2f}x\n",
        *total.median_regret, kBadWindow,
        total.settled_bad_fraction ? fmt::format("{:.1f}%", 100 * *total.settled_bad_fraction)
                                   : std::string("none settled"),
        total.worst_over_incumbent);
  }
  if (total.twin_error) {
    out += fmt::format(
        "twin: median prediction error {:.1f}% against the windows' measured latency, {} on "
        "designs run for the first time, against the model\n",
        100 * *total.twin_error,
        total.twin_new_design_error ? fmt::format("{:.1f}%", 100 * *total.twin_new_design_error)
                                    : std::string("none"));
  }
  if (total.shifted > 0) {
    out += fmt::format("median windows to reconverge after the shift: {} (over {})\n",
                       median_text(total.median_reconverge_windows), total.shifted);
  }
  if (total.sampled > 0) {
    out += fmt::format(
        "final design beats the best of 10,000 random designs: {:.0f}% of {} "
        "scenarios\n",
        100 * total.beats_reference_fraction, total.sampled);
    if (total.median_final_over_descent) {
      out += fmt::format(
          "final design at or below the best of coordinate descents: {:.0f}%; median final / "
          "descents {:.3f}\n",
          100 * total.beats_descent_fraction, *total.median_final_over_descent);
    }
  }
  return out;
}

}  // namespace hatch::sim

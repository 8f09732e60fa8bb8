#include "showcase.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>

#include "design_labels.hpp"
#include "load_driver.hpp"
#include "sim/svg_plot.hpp"

namespace hatch::web {
namespace {

// Rounds of the comparison: each design's figure is its median round.
constexpr int kCompareRounds = 3;

struct Candidate {
  std::string name;
  Design design;  // every component the autopilot places
};

// The static designs of the sweep: all-local, and the designs an engineer who knows the
// emulated limits would try (wide shards for the cache budget and the store's device, the
// handler or the compressor moved or replicated, everything on one node).
std::vector<Candidate> candidates(const std::vector<std::string>& components,
                                  const std::vector<std::string>& nodes) {
  std::vector<std::string> all{"local"};
  all.insert(all.end(), nodes.begin(), nodes.end());
  const std::vector<std::string> two(all.begin(),
                                     all.begin() + std::min<std::size_t>(2, all.size()));
  auto design = [&](std::string name, const Design& placements) {
    Candidate c{std::move(name), {}};
    for (const std::string& component : components) c.design[component] = Placement::local();
    for (const auto& [component, p] : placements) c.design[component] = p;
    return c;
  };
  const Placement wide = Placement::sharded(all);
  std::vector<Candidate> list{
      design("all local", {}),
      design("cache sharded wide", {{"cache", wide}}),
      design("store sharded wide", {{"content_store", wide}}),
      design("cache and store sharded wide", {{"cache", wide}, {"content_store", wide}}),
      design("cache and store sharded over two",
             {{"cache", Placement::sharded(two)}, {"content_store", Placement::sharded(two)}}),
      design("everything on node A", {{"request_handler", Placement::on(nodes[0])},
                                      {"cache", Placement::on(nodes[0])},
                                      {"compressor", Placement::on(nodes[0])},
                                      {"content_store", Placement::on(nodes[0])},
                                      {"stats", Placement::on(nodes[0])}})};
  if (nodes.size() >= 2) {
    list.push_back(design(
        "cache and store sharded over the nodes",
        {{"cache", Placement::sharded(nodes)}, {"content_store", Placement::sharded(nodes)}}));
    list.push_back(design("wide shards, compressor replicated on A and B",
                          {{"cache", wide},
                           {"content_store", wide},
                           {"compressor", Placement::replicated({nodes[0], nodes[1]})}}));
    list.push_back(design(
        "wide shards, handler on node A",
        {{"cache", wide}, {"content_store", wide}, {"request_handler", Placement::on(nodes[0])}}));
  }
  // With few nodes some of these coincide: each design runs once.
  std::vector<Candidate> distinct;
  for (Candidate& c : list) {
    if (std::none_of(distinct.begin(), distinct.end(),
                     [&](const Candidate& d) { return d.design == c.design; }))
      distinct.push_back(std::move(c));
  }
  return distinct;
}

// One line per window; on a terminal the line is rewritten in place.
class Progress {
 public:
  Progress() : tty_(::isatty(STDOUT_FILENO) != 0) {}
  void show(const std::string& line) {
    std::printf(tty_ ? "\r\033[K%s" : "%s\n", line.c_str());
    std::fflush(stdout);
    open_ = tty_;
  }
  void end() {
    if (open_) std::printf("\n");
    open_ = false;
  }

 private:
  bool tty_;
  bool open_ = false;
};

struct Comparison {
  std::string name;
  Design design;
  LoadWindow seen;
};

struct PhaseOutcome {
  std::string name;
  double started_s = 0;  // when its learning began, in autopilot time
  double best_static_rps = 0;
  std::string best_static_name;
  double learn_seconds = -1;         // to within 5% of the best static design; -1: not reached
  std::vector<Comparison> compared;  // all local, best static, learned
  // The calibrated twin's median |predicted / measured - 1| over the phase's learning windows
  // it predicted, and how many those were.
  std::optional<double> twin_error;
  std::size_t twin_windows = 0;
  std::string twin_optimum;  // the twin's predicted optimum, in short form; "" without one
};

// The twin's median prediction error over `windows`, and how many it predicted.
std::pair<std::optional<double>, std::size_t> twin_error(
    const std::vector<AutopilotWindow>& windows) {
  std::vector<double> errors;
  for (const AutopilotWindow& w : windows) {
    if (w.twin_ms && w.mean_ms > 0) errors.push_back(std::abs(*w.twin_ms / w.mean_ms - 1));
  }
  if (errors.empty()) return {std::nullopt, 0};
  std::nth_element(errors.begin(), errors.begin() + errors.size() / 2, errors.end());
  return {errors[errors.size() / 2], errors.size()};
}

std::string fixed(double v, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, v);
  return text;
}

// The designs that were the learner's best during a phase, each with the time it became so
// (since the phase began) and the mean throughput of its learning windows, in that order.
struct BestDesign {
  Design design;
  double since_s = 0;
  double learning_rps = 0;
};

std::vector<BestDesign> best_designs(const std::vector<AutopilotWindow>& windows,
                                     double phase_start_s) {
  std::map<std::string, std::pair<double, int>> rps;  // design -> (sum, windows)
  for (const AutopilotWindow& w : windows) {
    auto& [sum, n] = rps[describe_design(w.design)];
    sum += w.requests_per_s;
    ++n;
  }
  std::vector<BestDesign> bests;
  for (const AutopilotWindow& w : windows) {
    if (!bests.empty() && bests.back().design == w.best) continue;
    const auto it = rps.find(describe_design(w.best));
    const double mean = it == rps.end() ? 0 : it->second.first / it->second.second;
    bests.push_back({w.best, w.started_s + w.seconds - phase_start_s, mean});
  }
  return bests;
}

void write_outputs(const ShowcaseOptions& options, const std::vector<AutopilotWindow>& windows,
                   const std::vector<PhaseOutcome>& phases, const HostLabels& label) {
  std::filesystem::create_directories(options.out_dir);
  const std::filesystem::path dir(options.out_dir);
  std::ofstream csv(dir / "reward.csv");
  csv << "window,t_s,phase,kind,reward,requests_per_s,mean_ms,p95_ms,transition_ms,settle_ms,"
         "learner,design\n";
  sim::SvgPlot plot;
  plot.title = "The web server learning its design, live";
  plot.x_label = "time (s)";
  plot.y_label = "reward (1 - response time / cap)";
  plot.log_y = false;
  sim::SvgSeries learning{"reward of each learning window", "#1f77b4", 1.5, {}, {}};
  sim::SvgSeries best{"best so far in the phase", "#2ca02c", 2.5, {}, {}};
  sim::SvgSeries measured{"static designs measured (sweep, comparison)", "#ff7f0e", 1, {}, {}};
  measured.dashed = true;
  // Latency on a log scale beside the reward, which saturates near 1 when requests take a
  // fraction of the cap and hides differences of 2x there.
  sim::SvgPlot latency;
  latency.title = "Entry latency of the same windows";
  latency.x_label = "time (s)";
  latency.y_label = "mean latency (ms, log scale)";
  latency.log_y = true;
  sim::SvgSeries learning_ms{"mean of each learning window", "#1f77b4", 1.5, {}, {}};
  sim::SvgSeries learning_p95{"p95 of each learning window", "#9467bd", 1, {}, {}};
  sim::SvgSeries measured_ms{"static designs measured", "#ff7f0e", 1, {}, {}};
  measured_ms.dashed = true;
  std::size_t phase = 0;
  double best_so_far = 0;
  for (const AutopilotWindow& w : windows) {
    while (phase + 1 < phases.size() && w.started_s >= phases[phase + 1].started_s) {
      ++phase;
      best_so_far = 0;
    }
    csv << w.index << ',' << fixed(w.started_s, 3) << ',' << phases[phase].name << ','
        << (w.learning ? "learn" : "static") << ',' << fixed(w.reward, 4) << ','
        << fixed(w.requests_per_s, 1) << ',' << fixed(w.mean_ms, 3) << ',' << fixed(w.p95_ms, 3)
        << ',' << fixed(w.transition_ms, 3) << ',' << fixed(w.settle_ms, 1) << ",\"" << w.phase
        << "\",\"" << short_form(w.design, label) << "\"\n";
    const double t = w.started_s + w.seconds;
    if (w.learning) {
      learning.x.push_back(t);
      learning.y.push_back(w.reward);
      learning_ms.x.push_back(t);
      learning_ms.y.push_back(w.mean_ms);
      learning_p95.x.push_back(t);
      learning_p95.y.push_back(w.p95_ms);
      best_so_far = std::max(best_so_far, w.reward);
      best.x.push_back(t);
      best.y.push_back(best_so_far);
    } else {
      measured.x.push_back(t);
      measured.y.push_back(w.reward);
      measured_ms.x.push_back(t);
      measured_ms.y.push_back(w.mean_ms);
    }
  }
  plot.series = {measured, learning, best};
  latency.series = {measured_ms, learning_ms, learning_p95};
  for (std::size_t p = 1; p < phases.size(); ++p) {
    plot.markers.push_back({phases[p].started_s, "shift: " + phases[p].name});
  }
  latency.markers = plot.markers;
  std::ofstream(dir / "reward.svg") << sim::render_svg({plot, latency});
}

void write_json(const std::string& path, const std::vector<PhaseOutcome>& phases,
                const std::string& space_size) {
  nlohmann::json j;
  j["web_design_space_size"] = space_size;
  for (std::size_t p = 0; p < phases.size(); ++p) {
    const std::string prefix = p == 0 ? "web_" : "web_phase" + std::to_string(p + 1) + "_";
    const PhaseOutcome& o = phases[p];
    j[prefix + "all_local_rps"] = o.compared.at(0).seen.requests_per_s;
    j[prefix + "best_static_rps"] = o.compared.at(1).seen.requests_per_s;
    j[prefix + "learned_rps"] = o.compared.at(2).seen.requests_per_s;
    j[prefix + "learned_p99_ms"] = o.compared.at(2).seen.latency.p99_ms;
    j[prefix + "best_static_p99_ms"] = o.compared.at(1).seen.latency.p99_ms;
    j[prefix + "learn_seconds"] = o.learn_seconds;
    j[prefix + "best_static_design"] = o.best_static_name;
    j[prefix + "twin_error"] = o.twin_error ? nlohmann::json(*o.twin_error) : nullptr;
    j[prefix + "twin_windows"] = o.twin_windows;
    j[prefix + "twin_optimum"] = o.twin_optimum;
  }
  std::ofstream(path) << j.dump(2) << "\n";
}

// The autopilot's windows after `after`, waiting for at least one more (or for the deadline).
std::vector<AutopilotWindow> next_windows(const Autopilot& pilot, std::uint64_t after) {
  pilot.wait_for_window(after + 1, std::chrono::seconds(30));
  return pilot.windows(after);
}

}  // namespace

int run_showcase(Autopilot& pilot, Frontend& frontend, const ShowcaseOptions& options) {
  if (options.phases.empty()) throw std::invalid_argument("showcase: no workload phase");
  LoadDriver load(frontend.address(), options.paths, options.phases.front().load, options.seed);
  // The autopilot builds its design space when the program serves its first entry call.
  std::vector<AutopilotWindow> seen = next_windows(pilot, 0);
  AutopilotStatus status = pilot.status();
  if (!status.learning) {
    load.stop();
    throw std::runtime_error("the autopilot is not learning: " +
                             (status.error.empty() ? status.phase : status.error));
  }
  const HostLabels label(status.nodes);
  std::printf("nodes:");
  for (const std::string& n : status.nodes) {
    std::printf("  %s = %s", label(n).c_str(), n.c_str());
  }
  std::printf("\ndesign space: %s designs (%zu components, %zu hosts with the origin)\n\n",
              status.design_space_size.c_str(), status.components.size(), status.nodes.size() + 1);

  int status_code = 0;
  std::uint64_t errors = 0;
  Progress progress;
  std::vector<PhaseOutcome> outcomes;
  const std::vector<Candidate> sweep = candidates(status.components, status.nodes);
  std::uint64_t shown = 0;  // the last window printed (or skipped: the comparisons' windows)
  std::size_t decisions = 0;
  for (std::size_t p = 0; p < options.phases.size(); ++p) {
    const ShowcasePhase& phase = options.phases[p];
    PhaseOutcome& outcome = outcomes.emplace_back();
    outcome.name = phase.load.name;
    if (p > 0) load.set_phase(phase.load);
    // The first phase began with the first window: learning starts at the first request.
    outcome.started_s = p == 0 && !seen.empty() ? seen.front().started_s : pilot.status().seconds;
    std::printf("== phase %zu: %s; learning for %.0f s\n", p + 1, phase.load.name.c_str(),
                phase.learn_seconds);
    std::vector<AutopilotWindow> learned_windows;
    double best_reward = 0;
    while (pilot.status().seconds - outcome.started_s < phase.learn_seconds) {
      for (const AutopilotWindow& w : next_windows(pilot, shown)) {
        shown = w.index;
        if (!w.learning) continue;
        learned_windows.push_back(w);
        best_reward = std::max(best_reward, w.reward);
        progress.show("w" + std::to_string(w.index) + "  " +
                      fixed(w.started_s + w.seconds - outcome.started_s, 1) + " s  " + w.phase +
                      "  reward " + fixed(w.reward, 3) + "  best " + fixed(best_reward, 3) + "  " +
                      fixed(w.requests_per_s, 0) + " req/s  " + short_form(w.design, label));
      }
      for (const AutopilotDecision& d : pilot.decisions(decisions)) {
        ++decisions;
        if (d.kind == "move failed" || d.kind == "rollback") {
          progress.end();
          std::printf("%s\n", d.to_string().c_str());
          if (d.kind == "move failed") status_code = 1;
        }
      }
      if (!pilot.status().learning) {
        progress.end();
        std::printf("the autopilot stopped: %s\n", pilot.status().error.c_str());
        load.stop();
        return 1;
      }
    }
    pilot.pause();
    progress.end();
    const Design learned = pilot.status().best;
    std::printf("learned: %s\n", in_words(learned, label).c_str());
    std::tie(outcome.twin_error, outcome.twin_windows) = twin_error(learned_windows);
    if (outcome.twin_error) {
      std::printf("twin: median prediction error %.1f%% over %zu learning windows\n",
                  100 * *outcome.twin_error, outcome.twin_windows);
    }

    std::printf("sweep of %zu static designs, %.1f s each:\n", sweep.size(),
                options.sweep_window_seconds);
    // The twin's predicted optimum runs too, as a static design an engineer with the twin would
    // try, when the sweep does not hold it: the judge is the best of them all.
    std::vector<Candidate> judged = sweep;
    if (const std::optional<Design> predicted = pilot.twin_optimum()) {
      Design design = sweep.front().design;
      for (const auto& [component, placement] : *predicted) design[component] = placement;
      outcome.twin_optimum = short_form(design, label);
      if (std::none_of(sweep.begin(), sweep.end(),
                       [&](const Candidate& c) { return c.design == design; })) {
        judged.push_back({"the twin's predicted optimum", design});
      }
    }
    const Candidate* best_static = &judged.front();
    for (const Candidate& c : judged) {
      const AutopilotWindow w = pilot.measure(c.design, options.sweep_window_seconds);
      std::printf("  %-48s %8.0f req/s  reward %.3f\n", c.name.c_str(), w.requests_per_s, w.reward);
      if (w.requests_per_s > outcome.best_static_rps) {
        outcome.best_static_rps = w.requests_per_s;
        best_static = &c;
      }
    }
    if (!outcome.twin_optimum.empty()) {
      std::printf("  (the twin's predicted optimum: %s)\n", outcome.twin_optimum.c_str());
    }
    outcome.best_static_name = best_static->name;

    // When the learner's best first came within 5% of the best static design: each design it
    // held as best, in order, runs a window beside a new window of the best static design (the
    // sweep's figure, a maximum of noisy windows, would set the bar too high), except those
    // whose learning windows were clearly slower (below 80%); at most three. The best static
    // design itself needs no check.
    int checks = 0;
    for (const BestDesign& b : best_designs(learned_windows, outcome.started_s)) {
      if (b.design == best_static->design) {
        std::printf("  learner's best from %5.1f s: the best static design  %s\n", b.since_s,
                    short_form(b.design, label).c_str());
        outcome.learn_seconds = b.since_s;
        break;
      }
      if (checks == 3) break;
      if (b.learning_rps < 0.8 * outcome.best_static_rps) continue;
      ++checks;
      const double rps = pilot.measure(b.design, options.sweep_window_seconds).requests_per_s;
      const double bar =
          pilot.measure(best_static->design, options.sweep_window_seconds).requests_per_s;
      std::printf("  learner's best from %5.1f s: %8.0f req/s beside the best static's %.0f  %s\n",
                  b.since_s, rps, bar, short_form(b.design, label).c_str());
      if (rps >= 0.95 * bar) {
        outcome.learn_seconds = b.since_s;
        break;
      }
    }

    // The comparison: rounds of all local, the best static design and the learned design in
    // turn, each design's figures from its median round, so that a slow spell of the machine
    // does not fall on one design alone. A learned design that is the best static design is
    // that design: it is measured once, as the best static design.
    const bool learned_is_static = learned == best_static->design;
    std::vector<std::pair<std::string, Design>> compared{
        {"all local", sweep.front().design},
        {"best static: " + best_static->name, best_static->design}};
    if (!learned_is_static) compared.push_back({"learned", learned});
    std::vector<std::vector<LoadWindow>> rounds(compared.size());
    for (int round = 0; round < kCompareRounds; ++round) {
      for (std::size_t d = 0; d < compared.size(); ++d) {
        pilot.measure(compared[d].second, 0.5);
        load.take();
        std::this_thread::sleep_for(std::chrono::duration<double>(options.compare_seconds));
        rounds[d].push_back(load.take());
        errors += rounds[d].back().errors;
      }
    }
    std::printf(
        "comparison, %d rounds of %.0f s each (the median round shown), as the load "
        "generator's clients saw it:\n",
        kCompareRounds, options.compare_seconds);
    for (std::size_t d = 0; d < compared.size(); ++d) {
      std::sort(rounds[d].begin(), rounds[d].end(), [](const LoadWindow& a, const LoadWindow& b) {
        return a.requests_per_s < b.requests_per_s;
      });
      const LoadWindow& seen_by_clients = rounds[d][rounds[d].size() / 2];
      outcome.compared.push_back({compared[d].first, compared[d].second, seen_by_clients});
      std::printf("  %-48s %8.0f req/s  p50 %6.2f ms  p99 %7.2f ms  %llu errors\n",
                  compared[d].first.c_str(), seen_by_clients.requests_per_s,
                  seen_by_clients.latency.p50_ms, seen_by_clients.latency.p99_ms,
                  static_cast<unsigned long long>(seen_by_clients.errors));
    }
    if (learned_is_static) {
      outcome.compared.push_back({"learned", learned, outcome.compared[1].seen});
      std::printf("  learned: the best static design\n");
    }
    const double learned_rps = outcome.compared[2].seen.requests_per_s;
    std::printf("learned / best static = %.2f, learned / all local = %.2f; ",
                learned_rps / std::max(outcome.compared[1].seen.requests_per_s, 1e-9),
                learned_rps / std::max(outcome.compared[0].seen.requests_per_s, 1e-9));
    if (outcome.learn_seconds >= 0) {
      std::printf("within 5%% of the best static design after %.1f s of learning\n\n",
                  outcome.learn_seconds);
    } else {
      std::printf("the learner's best never came within 5%% of the best static design\n\n");
    }
    pilot.resume();
  }
  pilot.pause();
  load.stop();
  const AutopilotStatus end = pilot.status();
  std::printf(
      "autopilot: %llu learning windows, %llu of them probes (%.1f s exploring), %.1f s "
      "moving, %llu cut short, %llu shifts detected\n",
      static_cast<unsigned long long>(end.windows),
      static_cast<unsigned long long>(end.exploring_windows), end.exploring_seconds,
      end.moving_seconds, static_cast<unsigned long long>(end.cut_short_windows),
      static_cast<unsigned long long>(end.shifts));
  write_outputs(options, pilot.windows(), outcomes, label);
  std::printf("wrote %s/reward.csv and %s/reward.svg\n", options.out_dir.c_str(),
              options.out_dir.c_str());
  if (!options.json_path.empty()) {
    write_json(options.json_path, outcomes, status.design_space_size);
    std::printf("wrote %s\n", options.json_path.c_str());
  }
  if (errors > 0) {
    std::printf("%llu requests failed\n", static_cast<unsigned long long>(errors));
    status_code = 1;
  }
  return status_code;
}

}  // namespace hatch::web

#include "sim/sim_run.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <random>
#include <set>

#include <fmt/format.h>

#include "hatch/error.hpp"
#include "learn/learner.hpp"
#include "perception/reward.hpp"
#include "sim/brute_force.hpp"
#include "sim/scenario_toml.hpp"
#include "sim/simulator.hpp"
#include "sim/twin.hpp"

namespace hatch::sim {
namespace {

// A twin's suggestion must be predicted this much faster than the incumbent: the learner's
// resolution, below which a window cannot tell the difference.
constexpr double kSuggestGain = 0.02;
// Model evaluations per suggestion: about 15 ms of coordinate descents.
constexpr std::uint64_t kSuggestEvaluations = 100'000;

// Progress on stderr: rewritten in place on a terminal, a line now and then in a log.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), tty_(isatty(fileno(stderr)) != 0) {}

  void update(const std::string& line, bool milestone) {
    if (!enabled_) return;
    if (tty_) {
      std::fprintf(stderr, "\r\033[K%s", line.substr(0, 200).c_str());
    } else if (milestone) {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
  }
  void done() {
    if (enabled_ && tty_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool enabled_;
  bool tty_;
};

std::size_t hosts_used(const DesignSpace& space, const Choice& choice) {
  std::set<std::uint8_t> hosts;
  for (std::size_t c = 0; c < choice.size(); ++c) {
    for (std::uint8_t h : space.option_hosts(c, choice[c])) {
      if (h != 0) hosts.insert(h);
    }
  }
  return hosts.size();
}

Reference find_reference(const Simulator& sim, bool after_shift, const SimOptions& options,
                         std::uint64_t seed, const std::string& label, Progress& progress) {
  const LatencyModel& model = sim.model(after_shift);
  const std::optional<std::uint64_t> count = design_count(sim.space());
  SearchResult found;
  Reference ref;
  if (count && *count <= options.brute_force_limit) {
    int last_quarter = -1;
    found = exhaustive_optimum(
        model, sim.space(), options.threads, [&](std::uint64_t done, std::uint64_t total) {
          const double fraction = static_cast<double>(done) / total;
          const int quarter = static_cast<int>(fraction * 4);
          progress.update(
              fmt::format("{} brute force{}: {:.0f}% of {} designs", label,
                          after_shift ? " (after the shift)" : "", 100 * fraction, total),
              quarter != last_quarter);
          last_quarter = quarter;
        });
    ref.exhaustive = true;
  } else {
    found = best_of_random(model, sim.space(), options.random_samples, seed ^ 0x5eed);
    if (options.descent_evaluations > 0) {
      progress.update(
          fmt::format("{} coordinate descents{}", label, after_shift ? " (after the shift)" : ""),
          true);
      const SearchResult descent =
          best_of_descents(model, sim.space(), options.descent_evaluations, seed ^ 0xde5c);
      ref.descent_ms = descent.latency_ms;
      ref.descent_design = sim.space().describe(descent.choice);
      ref.descent_seconds = descent.seconds;
    }
  }
  ref.latency_ms = found.latency_ms;
  ref.design = sim.space().describe(found.choice);
  ref.choice = found.choice;
  ref.search_seconds = found.seconds;
  ref.ns_per_design = found.ns_per_design();
  return ref;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw UsageError("cannot write '" + path + "'");
}

}  // namespace

ScenarioReport run_scenario(Scenario scenario, const SimOptions& options, std::uint64_t seed,
                            const std::string& label) {
  if (options.max_windows < 1) throw UsageError("--windows must be at least 1");
  Simulator sim(std::move(scenario));
  const DesignSpace& space = sim.space();
  Progress progress(options.progress);

  ScenarioReport report;
  report.name = sim.scenario().name;
  report.designs = space.size();
  report.log10_designs = space.log10_size();
  const Choice all_local(space.component_count(), 0);
  report.all_local_ms = sim.expected_latency_ms(all_local);
  report.before = find_reference(sim, false, options, seed, label, progress);
  if (sim.has_shift()) {
    report.after = find_reference(sim, true, options, seed, label, progress);
    report.shift_at = sim.scenario().shift->at_window;
    report.shift_penalty =
        sim.model(true).latency_ms(report.before.choice) / report.after->latency_ms;
  }

  std::mt19937_64 rng(seed);
  // The cap comes from a first window of the all-local design, as a live system starts.
  double cap = sim.scenario().reward_cap_ms.value_or(options.cap_ms.value_or(0));
  double clock = 0;
  if (cap <= 0) {
    const Window first = sim.simulate_window(all_local, 1, rng);
    cap = options.cap_factor * RewardFunction().response_time_ms(first.entry);
    clock += 1;
  }
  report.reward_cap_ms = cap;
  RewardOptions reward_options;
  reward_options.cap_ms = cap;
  const RewardFunction reward(reward_options);

  std::optional<Twin> twin;
  std::set<Choice> ran;
  if (options.twin) {
    std::vector<double> cores;
    for (const HostSpec& h : sim.scenario().hosts) cores.push_back(h.cores);
    twin.emplace(space, sim.scenario().entry, std::move(cores));
  }
  LearnerOptions learner_options;
  learner_options.seed = seed;
  learner_options.concurrent_agents = options.concurrent_agents;
  if (twin && options.screen_loss) {
    learner_options.predict_ms = [&twin](const Choice& c) { return twin->predict_ms(c); };
    learner_options.screen_loss = *options.screen_loss;
  }
  if (twin && options.suggest) {
    learner_options.suggest = [&twin, seed](const Choice& incumbent) {
      return twin->suggest(incumbent, kSuggestGain, kSuggestEvaluations, seed);
    };
  }
  Learner learner(space, learner_options);
  Choice previous = all_local;
  const std::size_t milestone = std::max<std::size_t>(1, options.max_windows / 10);
  for (std::size_t w = 1; w <= options.max_windows; ++w) {
    if (report.shift_at && w == *report.shift_at) sim.set_shifted(true);
    const Choice choice = learner.propose();
    const std::string phase = learner.phase();
    const double seconds = learner.window_seconds();
    if (choice != previous) clock += sim.scenario().settle_seconds;
    previous = choice;
    const Window window = sim.simulate_window(choice, seconds, rng);
    clock += seconds;
    WindowRecord record;
    const std::uint64_t shifts = learner.shifts();
    if (twin) {
      record.twin_ms = twin->predict_ms(choice);
      record.measured_ms = window.entry.mean_ms;
      record.first_run = ran.insert(choice).second;
    }
    const double r = reward(window.entry, hosts_used(space, choice));
    learner.observe(choice, window, r);
    if (twin) {
      // A shift the learner detected makes the windows before it the twin's past too.
      if (learner.shifts() != shifts) twin->forget();
      twin->observe(choice, window);
    }
    const Choice best = learner.best();
    record.window = w;
    record.simulated_seconds = clock;
    record.window_seconds = seconds;
    record.reward = r;
    record.run_latency_ms = sim.expected_latency_ms(choice);
    record.best_latency_ms = sim.expected_latency_ms(best);
    record.reference_ms = sim.shifted() ? report.after->latency_ms : report.before.latency_ms;
    record.shifted = sim.shifted();
    record.phase = phase;
    report.curve.push_back(record);
    progress.update(
        fmt::format(
            "{} window {}/{} | {} | reward {:.3f} | best {:.3f} ms ({} {:.3f}) | {}", label, w,
            options.max_windows, learner.phase(), r, record.best_latency_ms,
            (sim.shifted() ? *report.after : report.before).exhaustive ? "optimum" : "random best",
            record.reference_ms, space.describe(choice)),
        w % milestone == 0);
  }
  progress.done();
  report.final_design = space.describe(learner.best());
  if (!options.matrix_path.empty()) {
    write_file(options.matrix_path, options.matrix_path.ends_with(".json") ? learner.matrix_json()
                                                                           : learner.matrix_csv());
  }
  conclude(report);
  return report;
}

int run_sim(const SimOptions& options) {
  try {
    if (options.scenario_path.empty() == (options.random == 0)) {
      throw UsageError("give either --scenario FILE or --random N");
    }
    std::vector<ScenarioReport> reports;
    if (!options.scenario_path.empty()) {
      Scenario scenario = load_scenario(options.scenario_path);
      if (options.shift_at) {
        if (!scenario.shift) {
          throw UsageError(options.scenario_path +
                           " has no [shift] table for --shift-at to move: add one");
        }
        scenario.shift->at_window = *options.shift_at;
      }
      const std::string label = "[" + scenario.name + "]";
      reports.push_back(run_scenario(std::move(scenario), options, options.seed, label));
    } else {
      RandomScenarioOptions shape = options.shape;
      if (options.shift_at) shape.shift_at = options.shift_at;
      for (std::size_t i = 0; i < options.random; ++i) {
        const std::uint64_t seed = options.seed + i;
        const std::string label = fmt::format("[{}/{} seed {}]", i + 1, options.random, seed);
        reports.push_back(run_scenario(random_scenario(seed, shape), options, seed, label));
        if (options.progress) {
          const ScenarioReport& r = reports.back();
          std::fprintf(
              stderr, "%s %s: final %.3f ms, reference %.3f ms, windows %s\n", label.c_str(),
              r.name.c_str(), r.final_ms, (r.after ? *r.after : r.before).latency_ms,
              r.windows_to_within_5pct ? std::to_string(*r.windows_to_within_5pct).c_str() : "-");
        }
      }
    }
    const Aggregate total = aggregate(reports);
    std::fputs(summary_text(reports, total).c_str(), stdout);
    if (!options.csv_path.empty()) write_file(options.csv_path, to_csv(reports));
    if (!options.plot_path.empty()) write_file(options.plot_path, to_svg(reports));
    if (!options.json_path.empty()) write_file(options.json_path, to_json(reports, total));
    return 0;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "hatch sim: %s\n", e.what());
    return 2;
  }
}

}  // namespace hatch::sim

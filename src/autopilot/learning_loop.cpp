#include "autopilot/learning_loop.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "autopilot/live_twin.hpp"
#include "hatch/error.hpp"

namespace hatch {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// The learner's options, with the twin's predictions to screen probes by and its suggestions
// when asked.
LearnerOptions led_by(LearnerOptions learner, const LiveTwin* twin,
                      const LearningLoopOptions& options) {
  if (twin == nullptr) return learner;
  if (options.screen_loss > 0) {
    learner.predict_ms = [twin](const Choice& c) { return twin->predict_ms(c); };
    learner.screen_loss = options.screen_loss;
  }
  if (options.suggest) {
    learner.suggest = [twin](const Choice& incumbent) { return twin->suggest(incumbent); };
  }
  return learner;
}

}  // namespace

struct LearningLoop::Impl {
  Impl(Origin& o, const DesignSpace& s, EntryProbe e, LearningLoopOptions opts, Choice start)
      : origin(o),
        space(s),
        entry(std::move(e)),
        options(std::move(opts)),
        twin(options.twin ? LiveTwin::make(s, options.entry_component) : nullptr),
        learner(s, led_by(options.learner, twin.get(), options)),
        reward(options.reward),
        running(start.empty() ? Choice(s.component_count(), 0) : std::move(start)),
        windows(options.windows_before) {
    space.check(running);
    for (std::size_t c = 0; c < space.component_count(); ++c) {
      index_of[space.component(c).name] = c;
    }
    if (!options.entry_component.empty()) {
      auto it = index_of.find(options.entry_component);
      if (it == index_of.end()) {
        throw UsageError("the learning loop's entry component '" + options.entry_component +
                         "' is not in the design space");
      }
      index_of[""] = it->second;
    }
    origin.take_call_metrics();
  }

  // Moves the program to `design`, component by component where it differs from what runs.
  // A component whose transition fails stays where it was, and `running` says so.
  void move_to(const Choice& design, LiveWindow& w) {
    space.check(design);
    Design changes;
    for (std::size_t c = 0; c < design.size(); ++c) {
      if (design[c] != running[c]) {
        changes[space.component(c).name] = space.option(c, design[c]);
      }
    }
    if (changes.empty()) return;
    for (const TransitionReport& report : origin.apply(changes)) {
      const std::size_t c = index_of.at(report.component);
      LiveMove& move = w.moves.emplace_back();
      move.component = report.component;
      move.from = space.option(c, running[c]);
      move.to = space.option(c, design[c]);
      move.pause_ms = std::chrono::duration<double, std::milli>(report.pause).count();
      move.ok = report.ok;
      w.transition_ms += move.pause_ms;
      if (report.ok) {
        running[c] = design[c];
      } else {
        move.error = report.error;
        w.failures.push_back(report.to_string());
      }
    }
  }

  // Lets the move settle, then measures a window of `seconds` of what runs, in slices checked
  // against the guard when `guarded`.
  void measure_window(double seconds, LiveWindow& w, bool guarded) {
    if (!w.moves.empty()) settle(w);
    for (const LiveMove& move : w.moves) {
      if (move.ok) {
        learner.set_move_cost(index_of.at(move.component), (move.pause_ms + w.settle_ms) / 1000);
      }
    }
    entry();
    origin.take_call_metrics();
    const Clock::time_point open = Clock::now();
    w.started_s = seconds_between(begun, open);
    guarded = guarded && options.guard_multiple > 0 && reference_mean_ms > 0;
    const double slice = std::clamp(seconds / 4, 0.05, 0.25);
    LatencyHistogram latencies;
    while (!cancelled.load()) {
      const Clock::time_point from = Clock::now();
      const double left = seconds - seconds_between(open, from);
      if (left <= 0) break;
      std::this_thread::sleep_for(std::chrono::duration<double>(std::min(slice, left)));
      EntrySample sample = entry();
      latencies.merge(sample.latencies);
      w.errors += sample.errors;
      if (guarded && far_worse(sample, seconds_between(from, Clock::now()), latencies, w)) break;
    }
    w.calls = origin.take_call_metrics();
    w.window = window_of(seconds_between(open, Clock::now()), latencies, w.calls);
    if (w.cut_short) {
      // What completed before the cut flatters the probe (the slowest calls are still running):
      // the learner is told it was at least as bad as the guard's bound.
      const double bound = options.guard_multiple * reference_mean_ms;
      w.window.entry.mean_ms = std::max(w.window.entry.mean_ms, bound);
      w.window.entry.p95_ms = std::max(w.window.entry.p95_ms, bound);
      w.window.entry.p99_ms = std::max(w.window.entry.p99_ms, bound);
    }
    w.design = running;
    std::set<std::uint8_t> hosts;
    for (std::size_t c = 0; c < running.size(); ++c) {
      for (std::uint8_t h : space.option_hosts(c, running[c])) {
        if (h != 0) hosts.insert(h);
      }
    }
    w.reward = w.cut_short ? 0 : reward(w.window.entry, hosts.size());
  }

  // Whether the slice just measured shows the probe far worse than the incumbent's last window;
  // if so, says why in `w`.
  bool far_worse(const EntrySample& slice, double slice_seconds, const LatencyHistogram& so_far,
                 LiveWindow& w) const {
    const double m = options.guard_multiple;
    const double rps = static_cast<double>(slice.latencies.count()) / slice_seconds;
    char why[160];
    if (slice.errors > 0) {
      std::snprintf(why, sizeof why, "%llu entry calls failed",
                    static_cast<unsigned long long>(slice.errors));
    } else if (so_far.count() > 0 && so_far.mean_ms() > m * reference_mean_ms) {
      std::snprintf(why, sizeof why, "mean latency %.3f ms, over %g x the incumbent's %.3f ms",
                    so_far.mean_ms(), m, reference_mean_ms);
    } else if (reference_rps > 0 && rps < reference_rps / m) {
      std::snprintf(why, sizeof why, "%.0f entry calls/s, under 1/%g of the incumbent's %.0f", rps,
                    m, reference_rps);
    } else {
      return false;
    }
    w.cut_short = true;
    w.cut_reason = why;
    return true;
  }

  // Waits until the entry point's throughput stops changing from one slice to the next.
  void settle(LiveWindow& w) {
    const Clock::time_point start = Clock::now();
    entry();
    double last = -1;
    while (Clock::now() - start < options.max_settle && !cancelled.load()) {
      const Clock::time_point slice = Clock::now();
      std::this_thread::sleep_for(options.settle_slice);
      const double rate =
          static_cast<double>(entry().latencies.count()) / seconds_between(slice, Clock::now());
      if (last >= 0 && std::abs(rate - last) <= options.settle_tolerance * std::max(rate, last)) {
        break;
      }
      last = rate;
    }
    w.settle_ms = 1000 * seconds_between(start, Clock::now());
  }

  Window window_of(double seconds, const LatencyHistogram& latencies,
                   const std::vector<CallEdge>& calls) const {
    Window w;
    w.seconds = seconds;
    w.entry = latencies.summary();
    w.throughput_rps = static_cast<double>(w.entry.count) / seconds;
    w.components.resize(space.component_count());
    std::vector<double> total_ms(space.component_count(), 0.0);
    std::vector<std::uint64_t> count(space.component_count(), 0);
    for (const CallEdge& call : calls) {
      auto caller = index_of.find(call.caller);
      auto callee = index_of.find(call.callee);
      if (callee == index_of.end() || call.calls == 0) continue;
      total_ms[callee->second] += call.total_ms;
      count[callee->second] += call.calls;
      if (caller == index_of.end()) continue;
      EdgeWindow edge;
      edge.caller = caller->second;
      edge.callee = callee->second;
      edge.calls_per_s = static_cast<double>(call.calls) / seconds;
      edge.latency_ms = call.total_ms / static_cast<double>(call.calls);
      w.edges.push_back(edge);
    }
    for (std::size_t c = 0; c < space.component_count(); ++c) {
      ComponentWindow& component = w.components[c];
      component.name = space.component(c).name;
      if (auto e = index_of.find(""); e != index_of.end() && e->second == c) {
        component.calls_per_s = w.throughput_rps;
        component.latency = w.entry;
        continue;
      }
      component.calls_per_s = static_cast<double>(count[c]) / seconds;
      component.latency.count = count[c];
      component.latency.mean_ms = count[c] ? total_ms[c] / static_cast<double>(count[c]) : 0;
    }
    return w;
  }

  // Runs `design` for one learning window and shows it to the learner.
  LiveWindow run(const Choice& design, const Choice& incumbent, std::string purpose) {
    LiveWindow w = next_window(true);
    w.purpose = std::move(purpose);
    move_to(design, w);
    w.probe = running != incumbent;
    if (twin) w.twin_ms = twin->predict_ms(running);
    measure_window(learner.window_seconds(), w, w.probe);
    // A window in which no entry call completed or failed says nothing about the design (the
    // program was idle): the learner does not see it, and re-measures its incumbent next.
    w.observed = !cancelled.load() && (w.cut_short || w.window.entry.count > 0 || w.errors > 0);
    if (w.observed) {
      const std::uint64_t shifts = learner.shifts();
      learner.observe(w.design, w.window, w.reward);
      if (twin && learner.shifts() != shifts) twin->forget();
      // A window cut short measured a slice of a design that was going badly: the twin fits
      // whole windows only.
      if (twin && !w.cut_short && w.window.entry.count > 0) {
        twin->observe(w.design, w.window, w.calls);
      }
      if (!w.cut_short && w.design == learner.incumbent()) {
        reference_mean_ms = w.window.entry.mean_ms;
        reference_rps = w.window.throughput_rps;
      }
    } else {
      interrupted = true;
    }
    w.best = learner.best();
    w.phase = learner.phase();
    return w;
  }

  LiveWindow next_window(bool learning) {
    LiveWindow w;
    w.index = ++windows;
    w.learning = learning;
    return w;
  }

  Origin& origin;
  const DesignSpace& space;
  const EntryProbe entry;
  const LearningLoopOptions options;
  const std::unique_ptr<LiveTwin> twin;
  Learner learner;
  const RewardFunction reward;
  Choice running;
  std::map<std::string, std::size_t> index_of;  // component name -> index; "" -> the entry
  std::uint64_t windows = 0;
  bool interrupted = false;  // designs the learner did not choose ran since its last window
  std::atomic<bool> cancelled{false};
  // The incumbent's latest window, the guard's reference.
  double reference_mean_ms = 0;
  double reference_rps = 0;
  const Clock::time_point begun = Clock::now();
};

LearningLoop::LearningLoop(Origin& origin, const DesignSpace& space, EntryProbe entry,
                           LearningLoopOptions options, Choice running)
    : impl_(std::make_unique<Impl>(origin, space, std::move(entry), std::move(options),
                                   std::move(running))) {}

LearningLoop::~LearningLoop() {
  impl_->origin.stop_call_metrics();
}

LiveWindow LearningLoop::step() {
  Impl& m = *impl_;
  if (std::exchange(m.interrupted, false)) m.learner.interrupted();
  const Choice proposed = m.learner.propose();
  return m.run(proposed, m.learner.incumbent(), m.learner.phase());
}

LiveWindow LearningLoop::hold() {
  Impl& m = *impl_;
  if (std::exchange(m.interrupted, false)) m.learner.interrupted();
  const Choice incumbent = m.learner.incumbent();
  return m.run(incumbent, incumbent, "holding the incumbent");
}

LiveWindow LearningLoop::measure(const Choice& design, double seconds) {
  Impl& m = *impl_;
  LiveWindow w = m.next_window(false);
  m.move_to(design, w);
  m.measure_window(seconds, w, false);
  m.interrupted = true;
  w.best = m.learner.best();
  w.purpose = "measuring a design for comparison";
  w.phase = "measuring";
  return w;
}

std::optional<Choice> LearningLoop::twin_optimum() const {
  if (!impl_->twin) return std::nullopt;
  return impl_->twin->best_design();
}

void LearningLoop::cancel() {
  impl_->cancelled.store(true);
}

bool LearningLoop::cancelled() const {
  return impl_->cancelled.load();
}

Learner& LearningLoop::learner() {
  return impl_->learner;
}

const Learner& LearningLoop::learner() const {
  return impl_->learner;
}

const DesignSpace& LearningLoop::space() const {
  return impl_->space;
}

const Choice& LearningLoop::running() const {
  return impl_->running;
}

std::uint64_t LearningLoop::windows() const {
  return impl_->windows;
}

double LearningLoop::seconds() const {
  return seconds_between(impl_->begun, Clock::now());
}

}  // namespace hatch

#include "learn/learning_loop.hpp"

#include <cmath>
#include <deque>
#include <map>
#include <set>
#include <thread>

namespace hatch {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

struct LearningLoop::Impl {
  Impl(Origin& o, const DesignSpace& s, EntryProbe e, LearningLoopOptions opts)
      : origin(o),
        space(s),
        entry(std::move(e)),
        options(std::move(opts)),
        learner(s, options.learner),
        reward(options.reward),
        running(s.component_count(), 0) {
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
        changes[space.component(c).name] = space.options(c)[design[c]];
      }
    }
    if (changes.empty()) return;
    for (const TransitionReport& report : origin.apply(changes)) {
      const std::size_t c = index_of.at(report.component);
      w.transition_ms += std::chrono::duration<double, std::milli>(report.pause).count();
      if (report.ok) {
        running[c] = design[c];
      } else {
        w.failures.push_back(report.to_string());
      }
    }
  }

  // Lets the move settle, then measures a window of `seconds` of what runs.
  void measure_window(double seconds, LiveWindow& w) {
    if (w.transition_ms > 0 || !w.failures.empty()) settle(w);
    entry();
    origin.take_call_metrics();
    const Clock::time_point open = Clock::now();
    w.started_s = seconds_between(begun, open);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    const LatencyHistogram latencies = entry();
    const std::vector<CallEdge> calls = origin.take_call_metrics();
    w.window = window_of(seconds_between(open, Clock::now()), latencies, calls);
    w.design = running;
    std::set<std::uint8_t> hosts;
    for (std::size_t c = 0; c < running.size(); ++c) {
      for (std::uint8_t h : space.option_hosts(c, running[c])) {
        if (h != 0) hosts.insert(h);
      }
    }
    w.reward = reward(w.window.entry, hosts.size());
  }

  // Waits until the entry point's throughput stops changing from one slice to the next.
  void settle(LiveWindow& w) {
    const Clock::time_point start = Clock::now();
    entry();
    double last = -1;
    while (Clock::now() - start < options.max_settle) {
      const Clock::time_point slice = Clock::now();
      std::this_thread::sleep_for(options.settle_slice);
      const double rate =
          static_cast<double>(entry().count()) / seconds_between(slice, Clock::now());
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

  LiveWindow& next_window(bool learning) {
    LiveWindow& w = history.emplace_back();
    w.index = history.size();
    w.learning = learning;
    return w;
  }

  Origin& origin;
  const DesignSpace& space;
  const EntryProbe entry;
  const LearningLoopOptions options;
  Learner learner;
  const RewardFunction reward;
  Choice running;
  std::map<std::string, std::size_t> index_of;  // component name -> index; "" -> the entry
  std::deque<LiveWindow> history;               // a deque: references to its windows stay valid
  const Clock::time_point begun = Clock::now();
};

LearningLoop::LearningLoop(Origin& origin, const DesignSpace& space, EntryProbe entry,
                           LearningLoopOptions options)
    : impl_(std::make_unique<Impl>(origin, space, std::move(entry), std::move(options))) {}

LearningLoop::~LearningLoop() {
  impl_->origin.stop_call_metrics();
}

const LiveWindow& LearningLoop::step() {
  Impl& m = *impl_;
  if (!m.history.empty() && !m.history.back().learning) m.learner.interrupted();
  const Choice proposed = m.learner.propose();
  LiveWindow& w = m.next_window(true);
  m.move_to(proposed, w);
  m.measure_window(m.learner.window_seconds(), w);
  m.learner.observe(w.design, w.window, w.reward);
  w.best = m.learner.best();
  w.phase = m.learner.phase();
  return w;
}

const LiveWindow& LearningLoop::measure(const Choice& design, double seconds) {
  Impl& m = *impl_;
  LiveWindow& w = m.next_window(false);
  m.move_to(design, w);
  m.measure_window(seconds, w);
  w.best = m.learner.best();
  w.phase = "measuring";
  return w;
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

const std::deque<LiveWindow>& LearningLoop::history() const {
  return impl_->history;
}

double LearningLoop::seconds() const {
  return seconds_between(impl_->begun, Clock::now());
}

}  // namespace hatch

// The autopilot's thread and its log. One worker thread owns the learning loop; every other
// thread reads what the worker published under `mu` after each window, and steers it through
// flags the worker reads before the next one. While paused the worker is idle, so measure() may
// drive the loop from the caller's thread.
#include "hatch/autopilot.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include "autopilot/entry_recorder.hpp"
#include "autopilot/learner_state_file.hpp"
#include "autopilot/learning_loop.hpp"
#include "autopilot/live_log.hpp"
#include "core/metrics.hpp"
#include "design/catalog_space.hpp"
#include "hatch/error.hpp"
#include "hatch/origin.hpp"

namespace hatch {
namespace {

LearningLoopOptions loop_options(const AutopilotOptions& o) {
  LearningLoopOptions l;
  l.learner.seed = o.seed;
  l.learner.accept_sigmas = o.accept_sigmas;
  l.learner.noise_floor = o.noise_floor;
  l.learner.exploration_budget = o.exploration_budget;
  l.learner.concurrent_agents = o.concurrent_agents;
  l.twin = o.twin;
  l.screen_loss = o.screen_loss;
  l.suggest = o.suggest;
  l.learner.horizon_seconds = o.move_horizon_seconds;
  l.learner.window.initial_seconds = o.window_initial_seconds;
  l.learner.window.min_seconds = o.window_min_seconds;
  l.learner.window.max_seconds = o.window_max_seconds;
  l.reward.cap_ms = o.reward_cap_ms;
  l.reward.cost_per_host = o.cost_per_host;
  if (o.reward == "mean") {
    l.reward.mean_weight = 1;
    l.reward.tail_weight = 0;
  } else if (o.reward != "mix") {
    l.reward.mean_weight = 0;
    l.reward.tail_weight = 1;
    l.reward.tail_percentile = std::stoi(o.reward.substr(1));
  }
  l.settle_slice = o.settle_slice;
  l.settle_tolerance = o.settle_tolerance;
  l.max_settle = o.max_settle;
  l.guard_multiple = o.guard_multiple;
  return l;
}

}  // namespace

struct Autopilot::Impl {
  Impl(Origin& o, AutopilotOptions opts) : origin(o), options(std::move(opts)) {
    options.enabled = true;
    options.check();
    if (!options.entry.empty() && options.entry != "reported" &&
        origin.catalog().find(options.entry) == nullptr) {
      throw UsageError("learn.entry names no registered component: '" + options.entry +
                       "'; registered: " + origin.catalog().names_line());
    }
    if (options.entry != "reported") origin.observe_entry(entry, options.entry);
    origin.take_call_metrics();  // measuring on: the first entry call starts learning
    worker = std::thread([this] { run(); });
  }

  ~Impl() { stop(); }

  void stop() {
    {
      std::lock_guard lock(mu);
      stopping = true;
      if (loop) loop->cancel();
    }
    cv.notify_all();
    entry->wake();
    if (worker.joinable()) worker.join();
    origin.observe_entry(nullptr);
  }

  void run() {
    try {
      if (!entry->wait_first()) return finish("");
      start();
      for (;;) {
        bool hold = false;
        {
          std::unique_lock lock(mu);
          cv.wait(lock, [&] { return stopping || !paused; });
          if (stopping) break;
          busy = true;
          hold = frozen || std::exchange(rollback, false);
          apply_pins(lock);
          if (std::exchange(resumed, false)) loop->learner().interrupted();
        }
        follow_members();
        LiveWindow w = hold ? loop->hold() : loop->step();
        if (loop->cancelled()) break;
        publish(w, hold);
      }
      save();
      finish("");
    } catch (const std::exception& e) {
      spdlog::error("autopilot stopped: {}", e.what());
      finish(e.what());
    }
  }

  // The program serves: build the space over the origin's members and start from what runs.
  void start() {
    components = options.components;
    if (components.empty()) {
      for (const auto& [name, placement] : origin.placements()) components.push_back(name);
    }
    members_seen = origin.members_version();
    std::vector<std::string> notes;
    nodes = placeable_members(notes);
    space.emplace(catalog_space(origin.catalog(), components, nodes));
    const Choice running = running_now(*space, notes);
    loop.emplace(
        origin, *space, [this] { return entry->take(); }, loop_options(options), running);
    std::optional<LearnerMemory> memory;
    if (!options.state_file.empty()) {
      try {
        LoadedState loaded = load_learner_state(options.state_file, *space);
        notes.insert(notes.end(), loaded.notes.begin(), loaded.notes.end());
        memory = std::move(loaded.memory);
        if (memory) loop->learner().restore(*memory);
      } catch (const UsageError& e) {
        memory.reset();
        notes.push_back(std::string(e.what()) + "; learning starts from the running design");
      }
    }
    std::unique_lock lock(mu);
    log.emplace(*space, nodes);
    if (memory) {
      log->event(
          "restore", "",
          "from " + options.state_file + ": " + describe_design(space->design(memory->best)));
    }
    for (const std::string& note : notes) {
      spdlog::warn("autopilot: {}", note);
      log->event("restore", "", note);
    }
    for (const auto& [component, placement] : options.pins) pending_pins[component] = placement;
    apply_pins(lock);
    log->publish_start(loop->learner(), loop->running(), memory.has_value());
    started = true;
    cv.notify_all();
  }

  // The members the learner places components on: every one, or the first
  // DesignSpace::kMaxHosts of them, which `notes` then says.
  std::vector<std::string> placeable_members(std::vector<std::string>& notes) const {
    std::vector<std::string> members = origin.members();
    if (members.size() > DesignSpace::kMaxHosts) {
      notes.push_back(std::to_string(members.size()) + " nodes are members; the learner places " +
                      "components on the first " + std::to_string(DesignSpace::kMaxHosts) + " (" +
                      members.front() + " to " + members[DesignSpace::kMaxHosts - 1] +
                      ") and none on the rest");
      members.resize(DesignSpace::kMaxHosts);
    }
    return members;
  }

  // The design that runs now, as options of `over`. A component placed outside it (on a host
  // that is not a member, say) is moved to the origin first, so that the loop knows where
  // everything runs; `notes` says which.
  Choice running_now(const DesignSpace& over, std::vector<std::string>& notes) {
    const Design created = origin.placements();
    Choice running(over.component_count(), 0);
    Design outside;
    for (std::size_t c = 0; c < over.component_count(); ++c) {
      auto it = created.find(over.component(c).name);
      if (it == created.end()) continue;
      if (const auto option = over.find(c, it->second)) {
        running[c] = *option;
      } else {
        outside[it->first] = Placement::local();
        notes.push_back("'" + it->first + "' runs at " + it->second.to_string() +
                        ", outside the design space: moved to the origin to start from there");
      }
    }
    for (const TransitionReport& report : origin.apply(outside)) {
      if (!report.ok) throw UsageError("cannot start learning: " + report.to_string());
    }
    return running;
  }

  // The origin's members changed since the space was built (a node joined, left, died, or a
  // discovery source changed): learning goes on over the nodes there are now. What the learner
  // knew carries over by component name and placement, as through a state file; designs on
  // nodes that are no longer members are forgotten. Pins that no longer fit are dropped.
  void follow_members() {
    const std::uint64_t version = origin.members_version();
    if (version == members_seen) return;
    members_seen = version;
    std::vector<std::string> notes;
    std::vector<std::string> now = placeable_members(notes);
    if (now == nodes) return;
    DesignSpace next = catalog_space(origin.catalog(), components, now);
    const Choice running = running_now(next, notes);
    const std::string memory = learner_state_text(*space, loop->learner().memory());
    const std::string why = "nodes " + describe_change(nodes, now) + ": " + next.size() +
                            " designs over " + std::to_string(now.size()) + " nodes";
    std::unique_lock lock(mu);
    LearningLoopOptions loop_settings = loop_options(options);
    loop_settings.windows_before = loop->windows();
    loop.reset();
    space.emplace(std::move(next));
    nodes = std::move(now);
    loop.emplace(
        origin, *space, [this] { return entry->take(); }, loop_settings, running);
    LoadedState kept = read_learner_state(memory, "the learner's memory", *space);
    if (kept.memory) loop->learner().restore(*kept.memory);
    log->follow(*space, nodes);
    log->event("nodes", "", why);
    for (const std::string& note : notes) log->event("nodes", "", note);
    for (const auto& [component, placement] : log->status().pins) {
      if (option_of(component_of(component), placement)) {
        pending_pins[component] = placement;
      } else {
        log->set_pin(component, std::nullopt);
        log->event("unpin", component,
                   "its pin " + placement.to_string() + " names a node that is not a member now");
      }
    }
    apply_pins(lock);
    log->publish_start(loop->learner(), loop->running(), false);
  }

  // "+a -b": the nodes added and removed.
  static std::string describe_change(const std::vector<std::string>& before,
                                     const std::vector<std::string>& after) {
    std::string out;
    for (const std::string& node : after) {
      if (!std::binary_search(before.begin(), before.end(), node)) out += " +" + node;
    }
    for (const std::string& node : before) {
      if (!std::binary_search(after.begin(), after.end(), node)) out += " -" + node;
    }
    return out.empty() ? std::string("unchanged") : out.substr(1);
  }

  std::optional<OptionIndex> option_of(std::size_t c, const Placement& p) const {
    return space->find(c, p);
  }

  std::size_t component_of(const std::string& name) const {
    for (std::size_t c = 0; c < space->component_count(); ++c) {
      if (space->component(c).name == name) return c;
    }
    throw UsageError("the autopilot does not place a component named '" + name + "'");
  }

  // Pins and unpins asked for since the last window; called by the worker, `mu` held.
  void apply_pins(std::unique_lock<std::mutex>&) {
    for (auto& [component, placement] : pending_pins) {
      const std::size_t c = component_of(component);
      if (placement) {
        const std::optional<OptionIndex> option = option_of(c, *placement);
        if (!option) {
          throw UsageError("cannot pin '" + component + "' at " + placement->to_string() +
                           ": not in its design space");
        }
        loop->learner().pin(c, *option);
        log->set_pin(component, placement);
        log->event("pin", component, "held at " + placement->to_string());
      } else {
        loop->learner().unpin(c);
        log->set_pin(component, std::nullopt);
        log->event("unpin", component, "the learner may move it again");
      }
    }
    pending_pins.clear();
  }

  void publish(const LiveWindow& w, bool hold) {
    std::lock_guard lock(mu);
    log->window(w, loop->learner(), hold && !frozen ? "rollback" : "");
    if (const auto& metrics = origin.options().metrics) {
      const AutopilotStatus now = log->status();
      metrics->learner_window(now.phase, w.reward, now.incumbent_reward, now.windows,
                              now.exploring_windows);
    }
    if (w.cut_short) rollback = true;
    busy = false;
    if (log->wants_save()) save_locked();
    cv.notify_all();
  }

  void save() {
    std::lock_guard lock(mu);
    save_locked();
  }

  void save_locked() {
    if (options.state_file.empty() || !loop) return;
    try {
      save_learner_state(options.state_file, *space, loop->learner().memory());
      log->saved();
    } catch (const std::exception& e) {
      spdlog::warn("autopilot: {}", e.what());
    }
  }

  void finish(const std::string& error) {
    std::lock_guard lock(mu);
    stopped = true;
    stop_error = error;
    busy = false;
    cv.notify_all();
  }

  // Throws unless the worker is idle: paused, and the window in progress ended.
  void require_idle(const char* what) {
    std::lock_guard lock(mu);
    if (!started || stopped) throw UsageError("the autopilot has not started learning yet");
    if (!paused || busy) throw UsageError(std::string(what) + " needs the autopilot paused");
  }

  std::optional<Design> twin_optimum() {
    require_idle("Autopilot::twin_optimum");
    const std::optional<Choice> best = loop->twin_optimum();
    if (!best) return std::nullopt;
    return space->design(*best);
  }

  AutopilotWindow measure(const Design& design, double seconds) {
    require_idle("Autopilot::measure");
    Choice choice = loop->running();
    for (const auto& [name, placement] : design) {
      const std::size_t c = component_of(name);
      const std::optional<OptionIndex> option = option_of(c, placement);
      if (!option) {
        throw UsageError("cannot measure '" + name + "' at " + placement.to_string() +
                         ": not in its design space");
      }
      choice[c] = *option;
    }
    const LiveWindow w = loop->measure(choice, seconds);
    std::lock_guard lock(mu);
    return log->window(w, loop->learner(), "");
  }

  Origin& origin;
  AutopilotOptions options;
  const std::shared_ptr<EntryRecorder> entry = std::make_shared<EntryRecorder>();
  // Set by the worker before `started`, and again under mu when the members change.
  std::optional<DesignSpace> space;
  std::optional<LearningLoop> loop;     // driven by the worker, or by measure() while paused
  std::vector<std::string> components;  // those it places; the worker's
  std::vector<std::string> nodes;       // the members the space is built over; the worker's
  std::uint64_t members_seen = 0;       // Origin::members_version() when they were read
  std::thread worker;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::optional<LiveLog> log;  // guarded by mu, once started
  bool started = false;        // guarded by mu: the space and the loop exist
  bool stopping = false;       // guarded by mu
  bool stopped = false;        // guarded by mu
  std::string stop_error;      // guarded by mu
  bool paused = false;         // guarded by mu
  bool resumed = false;        // guarded by mu: the learner must re-measure its incumbent
  bool busy = false;           // guarded by mu: the worker is in a window
  bool frozen = false;         // guarded by mu
  bool rollback = false;       // guarded by mu: the last window was cut short
  std::map<std::string, std::optional<Placement>> pending_pins;  // guarded by mu
};

Autopilot::Autopilot(Origin& origin, AutopilotOptions options)
    : impl_(std::make_unique<Impl>(origin, std::move(options))) {}

Autopilot::~Autopilot() = default;

void Autopilot::stop() {
  impl_->stop();
}

AutopilotStatus Autopilot::status() const {
  std::lock_guard lock(impl_->mu);
  AutopilotStatus s;
  if (impl_->log) s = impl_->log->status();
  s.phase = impl_->started ? s.phase : "waiting for the program's first entry call";
  s.learning = impl_->started && !impl_->stopped;
  s.paused = impl_->paused;
  s.frozen = impl_->frozen;
  s.error = impl_->stop_error;
  return s;
}

std::vector<AutopilotWindow> Autopilot::windows(std::uint64_t after) const {
  std::lock_guard lock(impl_->mu);
  return impl_->log ? impl_->log->windows(after) : std::vector<AutopilotWindow>{};
}

std::vector<AutopilotDecision> Autopilot::decisions(std::size_t after) const {
  std::lock_guard lock(impl_->mu);
  return impl_->log ? impl_->log->decisions(after) : std::vector<AutopilotDecision>{};
}

std::optional<AutopilotWindow> Autopilot::last_window() const {
  std::lock_guard lock(impl_->mu);
  return impl_->log ? impl_->log->latest() : std::nullopt;
}

bool Autopilot::wait_for_window(std::uint64_t index, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait_for(lock, timeout, [&] {
    return impl_->stopped || (impl_->log && impl_->log->last_window() >= index);
  });
  return impl_->log && impl_->log->last_window() >= index;
}

void Autopilot::pause() {
  std::unique_lock lock(impl_->mu);
  impl_->paused = true;
  impl_->cv.wait(lock, [&] { return !impl_->busy || impl_->stopped; });
}

void Autopilot::resume() {
  {
    std::lock_guard lock(impl_->mu);
    if (!impl_->paused) return;
    impl_->paused = false;
    impl_->resumed = true;
  }
  impl_->cv.notify_all();
}

void Autopilot::freeze() {
  std::lock_guard lock(impl_->mu);
  impl_->frozen = true;
  if (impl_->log) impl_->log->event("freeze", "", "only the incumbent runs");
}

void Autopilot::unfreeze() {
  std::lock_guard lock(impl_->mu);
  impl_->frozen = false;
  if (impl_->log) impl_->log->event("unfreeze", "", "the learner explores again");
}

void Autopilot::pin(const std::string& component, const Placement& placement) {
  std::lock_guard lock(impl_->mu);
  if (impl_->started) {
    const std::size_t c = impl_->component_of(component);
    if (!impl_->option_of(c, placement)) {
      throw UsageError("cannot pin '" + component + "' at " + placement.to_string() +
                       ": not in its design space");
    }
  }
  impl_->pending_pins[component] = placement;
}

void Autopilot::unpin(const std::string& component) {
  std::lock_guard lock(impl_->mu);
  if (impl_->started) impl_->component_of(component);
  impl_->pending_pins[component] = std::nullopt;
}

AutopilotWindow Autopilot::measure(const Design& design, double seconds) {
  return impl_->measure(design, seconds);
}

std::optional<Design> Autopilot::twin_optimum() {
  return impl_->twin_optimum();
}

void Autopilot::report(std::chrono::nanoseconds latency, bool failed) {
  impl_->entry->entry_call(latency, failed);
}

}  // namespace hatch

// The autopilot: the learner running beside a program, in the origin's background. It is what
// makes a Hatch program self-distributing, and hatch::App starts it when the configuration asks
// (a [learn] table in the TOML file, or --hatch-learn; docs/guide.md, "Learning live"). The
// program writes no learning code; it may read the autopilot's state and steer it:
//
//   hatch::App app(argc, argv);                    // hatch.toml has [learn] and nodes
//   ...
//   if (hatch::Autopilot* pilot = app.autopilot()) {
//     hatch::AutopilotStatus s = pilot->status();  // phase, incumbent, best, time exploring
//     for (const auto& d : pilot->decisions()) std::puts(d.to_string().c_str());
//     pilot->pin("cache", hatch::Placement::local());
//   }
//
// What it does, window after window: the learner proposes a design; the autopilot moves the
// components that change (Origin::apply), waits for the move to settle, measures a window of
// the entry calls (calls into components from threads that serve none: the program's own work)
// and of the calls between components on every process, and gives the learner the window's
// reward. A probe far worse than the incumbent is cut short and rolled back; once converged it
// exploits, probing within a budget; the learned design is saved to a state file and the next
// start begins from it. The nodes it places components on are the origin's members
// (Origin::members): when a node joins, leaves or dies, the design space is built again over the
// nodes there are, and what the learner knew carries over.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hatch/internal/call_meter.hpp"
#include "hatch/placement.hpp"

namespace hatch {

class Origin;

// Every setting, with its default and what it trades (docs/guide.md lists them as TOML keys).
struct AutopilotOptions {
  // Whether App starts the autopilot: a [learn] table turns it on unless it says
  // `enabled = false`, and --hatch-learn turns it on.
  bool enabled = false;
  // The components it places. Empty (default): every component the program has created when
  // the first entry call is seen. Components created later stay where they were created.
  std::vector<std::string> components;
  // Components held at one placement: the learner never moves them.
  std::map<std::string, Placement> pins;

  // What the reward reads. "" (default): every call into a component from a thread that is not
  // serving one. A component's name: every call into that component. "reported": only what the
  // program reports through Autopilot::report().
  std::string entry;

  // Window length, seconds: the learner lengthens windows when repeats of a design disagree
  // and shortens them when they agree. Short windows learn sooner but mistake noise for gains.
  double window_initial_seconds = 1;
  double window_min_seconds = 0.5;
  double window_max_seconds = 5;

  // The reward of a window is 1 - min(rt, cap)/cap - cost_per_host * nodes used, where rt is
  // the entry latency: "mean" (steadiest; for a closed loop it ranks designs as throughput
  // does), "p50", "p95", "p99" (a tail: designs with long queues pay, noisier), or "mix"
  // (0.75 mean + 0.25 p95, default).
  std::string reward = "mix";
  double reward_cap_ms = 100;  // at or above it a window earns 0
  double cost_per_host = 0;    // e.g. 0.01: one more node must cut rt by 1% of the cap

  // The learner accepts a probe when it is this many standard errors better: lower learns
  // faster, higher takes fewer false steps.
  double accept_sigmas = 2;
  // The least noise assumed for one window (a relative latency difference): live systems drift
  // between windows more than repeats of one design show.
  double noise_floor = 0.02;
  // Once converged, at most this fraction of windows runs anything but the learned design.
  double exploration_budget = 0.05;
  // The most agents that explore at once: components that do not call each other probe in the
  // same windows, and each one's best probe is confirmed before it is accepted. 1: one at a
  // time (docs/learner.md, "Crews").
  unsigned concurrent_agents = 1;
  // Fit a calibrated twin of the program from its windows (docs/simulator.md, "The twin"); each
  // window then carries the twin's prediction of its latency (AutopilotWindow::twin_ms). With
  // screen_loss > 0, probes the twin predicts that much slower than the learned design (0.25:
  // 25%) are not run; 0 only predicts. With suggest, the designs the twin predicts best run
  // before the learner's agents take their turns (docs/learner.md, "Designs a model suggests").
  bool twin = true;
  double screen_loss = 0;
  bool suggest = false;
  // A probe must be able to repay its moves (pause and settle, there and back, as measured)
  // within this many seconds of the gain its component's latency share allows. 0: off.
  double move_horizon_seconds = 300;
  // A probe whose window shows failed entry calls, a mean latency above this multiple of the
  // incumbent's, or a throughput below 1/multiple of it, is cut short and rolled back. 0: off.
  double guard_multiple = 5;
  // After a move, the window opens once the entry throughput of two slices in a row agrees
  // within the tolerance, or the maximum passed: the window measures the design, not the move.
  std::chrono::milliseconds settle_slice{150};
  double settle_tolerance = 0.1;
  std::chrono::milliseconds max_settle{2000};
  // Where the learned design and the learner's memory are kept across restarts ("": nowhere).
  // Written after every window that changes what the learner knows best, every 20 windows,
  // and at stop.
  std::string state_file;
  // Seeds the learner's tie-breaking; the same windows give the same choices.
  std::uint64_t seed = 1;

  // Throws UsageError naming the first bad setting.
  void check() const;
};

// One measured window.
struct AutopilotWindow {
  std::uint64_t index = 0;  // 1, 2, ... in the order they ran
  double started_s = 0;     // seconds since the autopilot started
  double seconds = 0;
  bool learning = true;    // false: a window of measure(), not shown to the learner
  bool probe = false;      // it ran something other than the learner's incumbent
  bool cut_short = false;  // a guard rail ended it early
  std::string phase;       // what the learner was doing: "exploring cache", "exploiting", ...
  Design design;           // what ran, every component the autopilot places
  Design best;             // the learner's best after it
  double reward = 0;
  double requests_per_s = 0;  // entry calls completed per second
  double mean_ms = 0, p50_ms = 0, p95_ms = 0, p99_ms = 0;
  std::uint64_t errors = 0;  // entry calls that failed
  double transition_ms = 0;  // the pause of the move before it, summed over components
  double settle_ms = 0;      // the wait for that move to settle
  // The calibrated twin's prediction of mean_ms, made before the window ran from the windows
  // before it (AutopilotOptions::twin); nothing without a twin or before its first window.
  std::optional<double> twin_ms;
  // The calls between components during it, per caller and callee, on every process (the
  // component graph as perception saw it; caller "" is the program's own entry calls).
  std::vector<CallEdge> calls;
};

// One entry of the decision log: each move, and each event that changed what the learner does.
struct AutopilotDecision {
  std::uint64_t index = 0;   // 1, 2, ... in the order they were logged
  std::uint64_t window = 0;  // the window it led to (moves) or followed (events)
  double at_s = 0;
  // "probe", "adopt" (the learner's design changed), "return" (back to the incumbent after a
  // probe), "rollback" (a guard rail), "move failed", "measure" (a move of measure()), "shift",
  // "converged", "restore", "pin", "unpin", "freeze", "unfreeze", "nodes" (the origin's members
  // changed: the design space follows them).
  std::string kind;
  std::string component;  // "" for the whole design
  std::string from, to;   // placements, for moves
  std::string why;
  double reward_before = 0;  // of the window before the move
  double reward_after = 0;   // of the window after it (-1 until that window ends)
  double pause_ms = 0;

  // "w12 probe cache local -> sharded{...}: exploring cache (reward 0.41 -> 0.87, pause 1.2 ms)"
  std::string to_string() const;
};

struct AutopilotStatus {
  bool learning = false;  // started (the program served a first entry call) and not stopped
  bool paused = false;
  bool frozen = false;
  bool converged = false;  // the learner exploits; probes stay within the budget
  std::string phase;
  std::string error;  // why it stopped, if it stopped on an error
  std::vector<std::string> components;
  std::vector<std::string> nodes;
  std::string design_space_size;  // exact, in decimal
  Design running;                 // what runs now
  Design incumbent;               // the design the learner holds
  Design best;                    // its best estimate
  double incumbent_reward = 0;    // of the incumbent's latest window
  std::map<std::string, Placement> pins;
  std::uint64_t windows = 0;
  std::uint64_t exploring_windows = 0;  // probes
  std::uint64_t cut_short_windows = 0;
  std::uint64_t failed_moves = 0;
  std::uint64_t shifts = 0;
  std::uint64_t skipped_for_cost = 0;  // refinement turns not worth their moves
  double seconds = 0;                  // since it started
  double exploring_seconds = 0;        // in probe windows
  double moving_seconds = 0;           // in pauses and settles
};

class Autopilot {
 public:
  // Starts learning in the background on `origin`, which must outlive it, whatever `enabled`
  // says. Throws UsageError for bad options (an entry component the catalog lacks included). A
  // state file that cannot be used is reported in the log and the decision log, and learning
  // starts from the running design. Names that only the running program can check (components,
  // pins) stop the autopilot with an error in status() and the log.
  Autopilot(Origin& origin, AutopilotOptions options);
  ~Autopilot();  // stop()
  Autopilot(const Autopilot&) = delete;
  Autopilot& operator=(const Autopilot&) = delete;

  // Ends the window in progress at once (it is not shown to the learner: the program is
  // stopping), saves the state file and stops. The design stays as it is.
  void stop();

  AutopilotStatus status() const;
  // The windows and decisions whose index is above `after` (the latest 4096 are kept).
  std::vector<AutopilotWindow> windows(std::uint64_t after = 0) const;
  std::vector<AutopilotDecision> decisions(std::size_t after = 0) const;
  // The latest window; nullopt before the first ends.
  std::optional<AutopilotWindow> last_window() const;
  // Blocks until window `index` has ended (true), or the autopilot stopped or `timeout` passed.
  bool wait_for_window(std::uint64_t index, std::chrono::milliseconds timeout) const;

  // Pause returns once the window in progress has ended; nothing moves until resume(). On
  // resume the learner re-measures its incumbent before it compares anything with it.
  void pause();
  void resume();
  // From now on only the incumbent runs; windows are still measured. unfreeze() lets it explore.
  void freeze();
  void unfreeze();
  // Holds `component` at `placement` (moving it there with the next window) / lets it go.
  // Throws UsageError for a component it does not place or a placement its space lacks.
  void pin(const std::string& component, const Placement& placement);
  void unpin(const std::string& component);

  // While paused: moves to `design` (components it names; the rest stay), settles and measures
  // a window of `seconds`, without telling the learner. For comparisons against static designs.
  AutopilotWindow measure(const Design& design, double seconds);
  // While paused: the design the calibrated twin (AutopilotOptions::twin) predicts fastest, a
  // second's search of its model; nothing without a twin or before its first window. For
  // comparisons too: a static design an engineer with the twin would run.
  std::optional<Design> twin_optimum();

  // One of the program's own requests, when `entry` is "reported".
  void report(std::chrono::nanoseconds latency, bool failed = false);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// "cache=sharded{a,b} store=on(c)", the components not local; "all local" when none is.
std::string describe_design(const Design& design);

}  // namespace hatch

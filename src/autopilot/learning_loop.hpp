// Learning live: one step of the loop that joins perception, the learner and the runtime. Each
// step asks the learner for a design, moves the running program to it with Origin::apply, waits
// for the transition to settle, measures one window and gives the learner its reward. The
// autopilot (hatch/autopilot.hpp) drives it from the origin's background.
//
//   LearningLoop loop(origin, space, [&] { return entry.take(); }, {});
//   for (;;) {
//     LiveWindow w = loop.step();      // blocks for about one window
//     show(w.index, w.design, w.reward);
//   }
//
// What a window holds (perception/window.hpp) comes from two sources: the entry point's
// latencies (the probe) and the calls between components that every process times while the
// loop runs (Origin::take_call_metrics). The entry component of the space, if it names one,
// stands for the callers outside any component.
//
// Guard rail: a probe (a design other than the learner's incumbent) is measured in slices, and
// a slice with failed entry calls, or a mean latency or throughput `guard_multiple` times worse
// than the incumbent's latest window, ends the window there (cut_short). The learner sees that
// window, and the caller runs the incumbent next with hold().
//
// Not thread-safe: one thread drives it. The program keeps serving its workload meanwhile.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "design/design_space.hpp"
#include "hatch/origin.hpp"
#include "learn/learner.hpp"
#include "perception/latency_histogram.hpp"
#include "perception/reward.hpp"

namespace hatch {

struct LearningLoopOptions {
  LearnerOptions learner;
  RewardOptions reward;
  // The component of the space that stands for the entry point (pinned to the origin, such as
  // a front end): calls from outside any component are its calls. "" for none.
  std::string entry_component;
  // After a transition the window opens only once the program has settled: the queues that grew
  // during the pause have drained and a cache that lost entries has refilled, so that a window
  // measures the design, not the move. The loop watches the entry point's throughput in slices
  // of `settle_slice` and waits until two slices in a row differ by at most `settle_tolerance`
  // (a fraction), or `max_settle` passed.
  std::chrono::milliseconds settle_slice{150};
  double settle_tolerance = 0.1;
  std::chrono::milliseconds max_settle{2000};
  // How much worse than the incumbent a probe's slice may be before the window is cut short;
  // 0 turns the guard off.
  double guard_multiple = 0;
  // Fit a calibrated twin (autopilot/live_twin.hpp) on the windows, so that each window carries
  // the twin's prediction of its latency. With screen_loss > 0, the learner does not run
  // probes the twin predicts that much slower than the incumbent (LearnerOptions::screen_loss).
  // With suggest, the designs the twin predicts best run before the learner's agents take
  // their turns (LearnerOptions::suggest).
  bool twin = false;
  double screen_loss = 0;
  bool suggest = false;
  // Windows run by the loops before this one (over an earlier design space): this loop's
  // windows are numbered from windows_before + 1.
  std::uint64_t windows_before = 0;
};

// What the entry point saw since the probe's previous call.
struct EntrySample {
  LatencyHistogram latencies;  // of the calls that completed
  std::uint64_t errors = 0;    // calls that failed
};

// One component's transition before a window.
struct LiveMove {
  std::string component;
  Placement from, to;
  double pause_ms = 0;
  bool ok = true;
  std::string error;
};

// One measured window.
struct LiveWindow {
  std::uint64_t index = 0;   // 1, 2, ... in the order they ran
  double started_s = 0;      // when the window opened, in seconds since the loop began
  Choice design;             // what ran during it
  bool learning = true;      // false for a window of measure(): not shown to the learner
  bool probe = false;        // it ran something other than the learner's incumbent
  bool cut_short = false;    // the guard rail ended it early
  std::string cut_reason;    // what the guard saw: "2 entry calls failed", ...
  bool observed = false;     // the learner was given it (not: measure(), no entry call, cancel())
  double transition_ms = 0;  // the pause of the move before it, summed over components; 0: none
  double settle_ms = 0;      // how long the loop waited for the move to settle
  std::vector<LiveMove> moves;        // the transitions before it, failed ones included
  std::vector<std::string> failures;  // transitions that failed before it (design says what ran)
  std::uint64_t errors = 0;           // entry calls that failed during it
  std::vector<CallEdge> calls;        // the calls between components during it, as measured
  Window window;
  std::optional<double> twin_ms;  // the twin's prediction of its mean latency, made before it
  double reward = 0;
  Choice best;          // the learner's best design after this window
  std::string purpose;  // why this design ran: "exploring cache", "rollback", "measuring", ...
  std::string phase;    // what the learner is doing after it, for a progress line
};

class LearningLoop {
 public:
  using EntryProbe = std::function<EntrySample()>;

  // `origin` and `space` must outlive the loop; the space's hosts must be the addresses of the
  // origin's nodes. `running` is the design the program runs now (all local when empty).
  LearningLoop(Origin& origin, const DesignSpace& space, EntryProbe entry,
               LearningLoopOptions options, Choice running = {});
  ~LearningLoop();  // turns call timing off again
  LearningLoop(const LearningLoop&) = delete;
  LearningLoop& operator=(const LearningLoop&) = delete;

  // One window of learning: the learner's next design, applied first when it differs from what
  // runs; then the settle, the window (as long as the learner asks) and its reward.
  LiveWindow step();

  // A window of the learner's incumbent, shown to the learner, without asking it for a design:
  // after a window was cut short (the rollback), or while the design is frozen.
  LiveWindow hold();

  // Runs `design` for a window of `seconds` and measures it, without telling the learner: a
  // static design to compare against. The next step() tells the learner it was interrupted, so
  // that it measures its incumbent again before it compares anything with it.
  LiveWindow measure(const Choice& design, double seconds);

  // The design the loop's twin predicts fastest; nothing without a twin or before its first
  // window. About a second's search.
  std::optional<Choice> twin_optimum() const;

  Learner& learner();
  // Ends the window or settle in progress at its next slice (a quarter second at most), without
  // showing it to the learner, and every later one at once: the program is stopping, and what
  // it does meanwhile says nothing about the design. May be called from any thread.
  void cancel();
  bool cancelled() const;

  const Learner& learner() const;
  const DesignSpace& space() const;
  const Choice& running() const;  // the design that runs now
  std::uint64_t windows() const;  // windows so far
  double seconds() const;         // since the loop began

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hatch

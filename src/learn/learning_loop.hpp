// Learning live: the loop that joins perception, the learner and the runtime. Each step asks the
// learner for a design, moves the running program to it with Origin::apply, waits for the
// transition to settle, measures one window and gives the learner its reward.
//
//   LearningLoop loop(origin, space, [&] { return frontend.take_latencies(); }, {});
//   for (;;) {
//     const LiveWindow& w = loop.step();      // blocks for about one window
//     show(w.index, loop.describe(w.design), w.reward);
//   }
//
// What a window holds (perception/window.hpp) comes from two sources: the entry point's
// latencies (the probe, typically the front end's histogram) and the calls between components
// that every process times while the loop runs (Origin::take_call_metrics). The entry component
// of the space, if it names one, stands for the callers outside any component.
//
// Not thread-safe: one thread drives it. The program keeps serving its workload meanwhile.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
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
  // the web server's front end): calls from outside any component are its calls. "" for none.
  std::string entry_component;
  // After a transition the window opens only once the program has settled: the queues that grew
  // during the pause have drained and a cache that lost entries has refilled, so that a window
  // measures the design, not the move. The loop watches the entry point's throughput in slices
  // of `settle_slice` and waits until two slices in a row differ by at most `settle_tolerance`
  // (a fraction), or `max_settle` passed.
  std::chrono::milliseconds settle_slice{150};
  double settle_tolerance = 0.1;
  std::chrono::milliseconds max_settle{2000};
};

// One measured window.
struct LiveWindow {
  std::size_t index = 0;     // 1, 2, ... in the order they ran
  double started_s = 0;      // when the window opened, in seconds since the loop began
  Choice design;             // what ran during it
  bool learning = true;      // false for a window of measure(): not shown to the learner
  double transition_ms = 0;  // the pause of the move before it, summed over components; 0: none
  double settle_ms = 0;      // how long the loop waited for the move to settle
  std::vector<std::string> failures;  // transitions that failed before it (design says what ran)
  Window window;
  double reward = 0;
  Choice best;        // the learner's best design after this window
  std::string phase;  // what the learner is doing, for a progress line
};

class LearningLoop {
 public:
  // Takes the latencies seen at the entry point since its previous call.
  using EntryProbe = std::function<LatencyHistogram()>;

  // `origin` and `space` must outlive the loop; the space's hosts must be the addresses of the
  // origin's nodes. The program is assumed to run the space's all-local design at first.
  LearningLoop(Origin& origin, const DesignSpace& space, EntryProbe entry,
               LearningLoopOptions options);
  ~LearningLoop();  // turns call timing off again
  LearningLoop(const LearningLoop&) = delete;
  LearningLoop& operator=(const LearningLoop&) = delete;

  // One window of learning: the learner's next design, applied first when it differs from what
  // runs; then the settle, the window (as long as the learner asks) and its reward.
  const LiveWindow& step();

  // Runs `design` for a window of `seconds` and measures it, without telling the learner: a
  // static design to compare against. The next step() tells the learner it was interrupted, so
  // that it measures its incumbent again before it compares anything with it.
  const LiveWindow& measure(const Choice& design, double seconds);

  const Learner& learner() const;
  const DesignSpace& space() const;
  const Choice& running() const;                  // the design that runs now
  const std::deque<LiveWindow>& history() const;  // every window so far, oldest first
  double seconds() const;                         // since the loop began

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hatch

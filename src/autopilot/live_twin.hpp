// The calibrated twin of a running program (sim/twin.hpp), fitted from the learning loop's
// windows, so that each window carries a prediction made before it ran and the learner can
// screen probes by it.
//
// A program's entry calls come from threads outside any component. When the design space names
// an entry component, it stands for them, as in the simulator. When it names none, the twin
// models the outside as one more component, pinned to the origin and costing nothing of its
// own, whose calls are those the call meter saw with no caller.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "design/design_space.hpp"
#include "hatch/internal/call_meter.hpp"
#include "perception/window.hpp"
#include "sim/twin.hpp"

namespace hatch {

class LiveTwin {
 public:
  // The twin of `space` (which must outlive it), or nothing when the model cannot describe the
  // space (more hosts or components than it takes): then it logs why. `entry_component` is the
  // space's component that stands for the outside, or "". Each place is taken to have this
  // machine's cores.
  static std::unique_ptr<LiveTwin> make(const DesignSpace& space,
                                        const std::string& entry_component);

  // The predicted mean entry latency of `design`; nothing before the first window.
  std::optional<double> predict_ms(const Choice& design) const;
  // Drops the windows seen so far (Twin::forget): the workload changed.
  void forget() { twin_.forget(); }
  // The design the twin predicts fastest (Twin::best_design); nothing before the first window.
  std::optional<Choice> best_design() const;
  // A design the twin predicts clearly faster than `incumbent` (Twin::suggest, a search of
  // about 50 ms), or nothing: LearnerOptions::suggest.
  std::optional<Choice> suggest(const Choice& incumbent) const;
  // Fits one whole window of `design`; `calls` are the window's measured calls, by name. A
  // window the model cannot take is left out, with a warning: it never throws.
  void observe(const Choice& design, const Window& window, const std::vector<CallEdge>& calls);

 private:
  LiveTwin(const DesignSpace& space, std::optional<DesignSpace> with_outside, std::size_t entry,
           std::vector<double> cores);
  Choice twin_choice(const Choice& design) const;
  // `window` with the outside as one more component, its calls those without a caller.
  Window with_outside(const Window& window, const std::vector<CallEdge>& calls) const;

  const DesignSpace& space_;
  const std::optional<DesignSpace> with_outside_;  // space_ and the outside, when no entry
  sim::Twin twin_;
};

}  // namespace hatch

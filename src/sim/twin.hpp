// The calibrated twin: a scenario fitted from what perception measures, so that the simulator's
// LatencyModel can predict the latency of designs that have not run.
//
//   Twin twin(space, entry, cores);
//   twin.observe(design, window);                    // after each window
//   std::optional<double> ms = twin.predict_ms(next); // before a design runs
//
// A twin sees only Windows and the designs that ran, as a learner does, never the hidden
// parameters of a scenario. From its most recent windows it fits:
//   - the call graph: per pair of components, the calls one call of the caller makes and the
//     bytes per call;
//   - per component, a service time: its time in itself (its latency as its callers saw it, less
//     what it spent in its own calls), measured in windows where every component on its host
//     ran there alone beside its callers, less that host's queueing, which the model's queueing
//     law and the measured times give;
//   - per pair of hosts, a round trip and a cost per KB of payload, so that the model's
//     latency of each call between single homes on them matches the measured one. Calls of two
//     payload sizes tell the two apart. Calls of one size do not: their cost may be the round
//     trip, or mostly payload. The twin keeps both readings and predicts the faster, so that
//     neither a lighter nor a heavier call across the link is predicted slower than it may be,
//     and a design that would tell is tried.
// A link's modelled latency includes the calls below it, so links are fitted in a few passes
// after each window. What perception does not tell, the
// twin assumes, and docs/simulator.md lists: every call is a keyed read, no component is a
// cache, memory is ample, and the open-loop rate is the recent throughput. Each host's cores
// are an input: a live system knows them.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "design/design_space.hpp"
#include "perception/window.hpp"
#include "sim/latency_model.hpp"
#include "sim/scenario.hpp"

namespace hatch::sim {

class Twin {
 public:
  static constexpr std::size_t kRecent = 24;  // windows the fit reads
  static constexpr int kPasses = 3;           // link-fitting passes after each window

  // `space` must outlive the twin; `entry` is the component that receives the requests;
  // `cores` has one figure per place, the origin first. The model takes each option's kind from
  // `space`, so a keyed component that cannot shard forms replicated sets, as it does live.
  // Throws UsageError when the sizes do not match the space, or the space has components or
  // hosts beyond the model's limits.
  Twin(const DesignSpace& space, std::size_t entry, std::vector<double> cores);
  ~Twin();

  // Takes one window of `design` into the fit. Throws UsageError when the window does not
  // describe the space's components, or the fit cannot model it; the twin is then as before.
  void observe(const Choice& design, const Window& window);

  // Drops the windows it has seen, for a workload that changed: the fit starts again from the
  // next window, its current parameters the first guess.
  void forget() { recent_.clear(); }

  // The fitted model's mean entry latency of `design`; nothing before the first window with
  // requests.
  std::optional<double> predict_ms(const Choice& design) const;

  // The design the fitted model predicts fastest: the best of coordinate descents within
  // `evaluations` model evaluations (sim/brute_force.hpp); nothing before the first window.
  std::optional<Choice> best_design(std::uint64_t evaluations, std::uint64_t seed) const;

  // A design to try next: the best of coordinate descents within `evaluations` model
  // evaluations, the first from `incumbent`, when the fitted model predicts it at least
  // `min_gain` faster than `incumbent` (0.02: 2%); else nothing. LearnerOptions::suggest.
  std::optional<Choice> suggest(const Choice& incumbent, double min_gain, std::uint64_t evaluations,
                                std::uint64_t seed) const;

  // The scenario as fitted, for reports and tests.
  const Scenario& scenario() const { return fitted_; }

 private:
  struct Recent {
    Choice design;
    Window window;
  };

  void fit_graph();
  void rebuild();
  void fit_services();
  // The queueing factor f at `place` that solves f = inflation(busy_at_one / f), where
  // busy_at_one is the place's utilisation if nothing queued.
  double queueing_factor(std::size_t place, double busy_at_one) const;
  void fit_links();
  // Where a component runs alone in `design`: its place, or none for a set of hosts.
  std::optional<std::size_t> single_place(const Choice& design, std::size_t component) const;
  // Whether `component` ran on one host with every caller it had in `recent` (the requests'
  // client counts as a caller on the origin).
  bool beside_callers(const Recent& recent, std::size_t component) const;

  const DesignSpace& space_;
  const std::size_t entry_;
  const std::vector<double> cores_;
  std::deque<Recent> recent_;
  std::vector<double> service_ms_;  // per component; 0 until first measured
  // One link per pair of places, place x place; a round trip below 0: not measured. A link
  // measured at one payload size has its cost at that size in both readings.
  struct Link {
    double rtt_ms = -1;
    double ms_per_kb = -1;
    bool one_size = false;
    double kb = 0;  // one_size: the payload size, and its cost
    double cost_ms = 0;
  };
  std::vector<Link> links_;
  Scenario fitted_;
  // Over fitted_, which reads links of one payload size as round trips, and over the same
  // scenario reading them as payload; empty before the first window.
  std::unique_ptr<LatencyModel> model_;
  std::unique_ptr<LatencyModel> payload_model_;
  // The best of coordinate descents on either reading, by the faster prediction.
  Choice best_of_readings(std::uint64_t evaluations, std::uint64_t seed,
                          const std::optional<Choice>& first) const;
};

}  // namespace hatch::sim

// The simulator: a digital twin of a scenario. It answers two questions about a design: what
// its latency is in expectation (for brute force and for judging a learner), and what a window
// of live measurements would show (for the learner, with seeded noise).
//
//   Simulator sim(load_scenario("webserver.toml"));
//   std::mt19937_64 rng(seed);
//   Window w = sim.simulate_window(choice, 2.0, rng);  // what perception would report
//   sim.set_shifted(true);                             // the scenario's workload shift
//
// A window's figures are the model's expectation plus noise whose standard deviation shrinks
// with the square root of the calls it saw, so a longer window is a tighter estimate. The
// hidden parameters stay in here: a learner only ever gets Windows.
#pragma once

#include <random>

#include "design/design_space.hpp"
#include "perception/window.hpp"
#include "sim/latency_model.hpp"
#include "sim/scenario.hpp"

namespace hatch::sim {

class Simulator {
 public:
  // Validates the scenario (throws UsageError).
  explicit Simulator(Scenario scenario);

  const Scenario& scenario() const { return scenario_; }
  const DesignSpace& space() const { return space_; }

  // Whether the scenario's shift has happened. Without a shift, true is refused.
  void set_shifted(bool shifted);
  bool shifted() const { return shifted_; }
  bool has_shift() const { return scenario_.shift.has_value(); }

  // The model of the current workload, or of one phase (false: before the shift).
  const LatencyModel& model() const { return shifted_ ? *after_ : before_; }
  const LatencyModel& model(bool after_shift) const;

  double expected_latency_ms(const Choice& choice) const { return model().latency_ms(choice); }

  // One window of `seconds` of workload under `choice`, as perception would report it.
  // Throws UsageError for an invalid choice or a non-positive length.
  Window simulate_window(const Choice& choice, double seconds, std::mt19937_64& rng) const;

 private:
  Scenario scenario_;
  DesignSpace space_;
  LatencyModel before_;
  std::optional<LatencyModel> after_;
  bool shifted_ = false;
  std::array<double, 3> quantile_factor_{};  // p50, p95, p99 over the mean
};

}  // namespace hatch::sim

// The learner: one agent per component, each choosing its component's placement, coordinated so
// that their joint choice converges. It proposes the design for the next window, then observes
// the window that design produced and its reward. It sees only what perception sees.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "design/design_space.hpp"
#include "perception/window.hpp"

namespace hatch {

struct LearnerOptions {
  std::uint64_t seed = 1;
  // Filled in by the learner's implementation: the algorithm, exploration and change-detection
  // settings, each with its default and the reason for it.
};

class Learner {
 public:
  // `space` must outlive the learner.
  Learner(const DesignSpace& space, LearnerOptions options);
  ~Learner();
  Learner(const Learner&) = delete;
  Learner& operator=(const Learner&) = delete;

  // The design to run for the next window.
  Choice propose();
  // How long the next window should be, in seconds of workload: longer when the reward is noisy.
  double window_seconds() const;
  // The window that `ran` produced, and its reward (higher is better, in [0, 1]).
  void observe(const Choice& ran, const Window& window, double reward);

  Choice best() const;             // the best design so far, by the learner's estimate
  std::string phase() const;       // a word or two for a progress line: "exploring cache", ...
  std::string matrix_csv() const;  // the action/reward matrix: options per component, rewards
  std::string matrix_json() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hatch

#include "learn/window_controller.hpp"

#include <algorithm>
#include <cmath>

namespace hatch {
namespace {

constexpr double kOutlier = 16;

}  // namespace

WindowController::WindowController(WindowControllerOptions options)
    : options_(options), seconds_(options.initial_seconds) {}

void WindowController::observe_repeat(double first, double first_seconds, double second,
                                      double second_seconds) {
  // Var(first - second) = v / first_seconds + v / second_seconds, with v per unit of length.
  const double d = first - second;
  double sample = d * d / (1 / first_seconds + 1 / second_seconds);
  // One wild pair (a shift the learner has not detected yet) must not swamp the estimate: a
  // sample counts at most kOutlier times the current estimate; real growth takes a few.
  if (samples_ > 0) sample = std::min(sample, kOutlier * variance_per_second_);
  // The first samples are averaged plainly; later ones enter a running average that follows
  // changes in the noise.
  ++samples_;
  const double weight = std::max(options_.memory, 1.0 / samples_);
  variance_per_second_ += weight * (sample - variance_per_second_);
  adjust();
}

void WindowController::set_seconds(double seconds) {
  seconds_ = std::clamp(seconds, options_.min_seconds, options_.max_seconds);
}

void WindowController::set_resolution(double resolution) {
  resolution_ = resolution;
  adjust();
}

double WindowController::noise(double seconds) const {
  return std::sqrt(variance_per_second_ / seconds);
}

void WindowController::adjust() {
  if (samples_ == 0 || resolution_ <= 0) return;
  const double allowed = options_.target_ratio * resolution_;
  const double wanted = variance_per_second_ / (allowed * allowed);
  seconds_ = std::clamp(wanted, seconds_ / options_.step, seconds_ * options_.step);
  seconds_ = std::clamp(seconds_, options_.min_seconds, options_.max_seconds);
}

}  // namespace hatch

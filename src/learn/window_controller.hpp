// Sizes the measurement window to the noise. A window's reward is an average over the requests
// in it, so its variance falls like 1/length. The controller estimates the noise per unit of
// length from designs that were measured twice, and picks the length at which the noise's
// standard deviation is `target_ratio` times the smallest reward difference that matters now
// (the resolution, set by the learner). It moves towards that length by at most `step` per
// adjustment, within [min_seconds, max_seconds]: it grows the window when repeated rewards
// disagree by more than the differences being compared, and shrinks it when they agree
// tightly.
#pragma once

namespace hatch {

struct WindowControllerOptions {
  double initial_seconds = 2;
  double min_seconds = 0.5;  // below this a window holds too few requests to mean anything
  double max_seconds = 60;   // above this the learner would react too slowly to anything
  // Noise standard deviation allowed, as a fraction of the resolution. 0.5 means two designs
  // one resolution apart are told apart by a single window each with about 84% confidence.
  double target_ratio = 0.5;
  double step = 2;      // the most the length changes in one adjustment, as a factor
  double memory = 0.1;  // weight of the newest noise sample in the running estimate
};

class WindowController {
 public:
  explicit WindowController(WindowControllerOptions options = {});

  double seconds() const { return seconds_; }
  // Sets the length, within [min_seconds, max_seconds]: one an earlier controller arrived at.
  void set_seconds(double seconds);
  // Two rewards of the same design in the same environment, from windows of the given lengths.
  void observe_repeat(double first, double first_seconds, double second, double second_seconds);
  // The smallest reward difference the learner needs to see now; > 0.
  void set_resolution(double resolution);
  // The standard deviation of one window's reward at the given length; 0 until a repeat is in.
  double noise(double seconds) const;
  bool has_noise_estimate() const { return samples_ > 0; }

 private:
  void adjust();

  WindowControllerOptions options_;
  double seconds_;
  double resolution_ = 0;
  double variance_per_second_ = 0;  // variance of one window's reward times its length
  unsigned samples_ = 0;
};

}  // namespace hatch

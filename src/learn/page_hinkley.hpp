// The Page-Hinkley test: detects a shift in the mean of a stream, up or down. It accumulates
// how far each value lies from the running mean (less a tolerance `delta`) and fires when that
// sum has climbed more than `threshold` above its lowest point. After firing it starts afresh.
//
//   PageHinkley detector({.delta = 0.5, .threshold = 8});
//   if (detector.update(standardised_reward)) restart_exploration();
//
// Both settings are in the units of the stream; the learner feeds rewards divided by their
// noise, so that one pair of settings suits every scenario.
#pragma once

#include <cstdint>

namespace hatch {

struct PageHinkleyOptions {
  // Drift tolerated per sample. Larger: fewer false alarms, and shifts smaller than delta are
  // never reported.
  double delta = 0.5;
  // How much accumulated evidence fires the test. Larger: fewer false alarms, later detection
  // (the delay is about threshold / (shift - delta) samples).
  double threshold = 8;
  // No alarm before this many samples: the running mean needs a few to settle.
  std::uint64_t min_samples = 3;
};

class PageHinkley {
 public:
  explicit PageHinkley(PageHinkleyOptions options = {});

  // Adds one value; true if it completes evidence of a shift, after which the test has reset.
  bool update(double value);
  void reset();

  std::uint64_t samples() const { return samples_; }
  double mean() const { return mean_; }

 private:
  PageHinkleyOptions options_;
  std::uint64_t samples_ = 0;
  double mean_ = 0;
  double rise_ = 0, lowest_rise_ = 0;  // evidence that the mean went up
  double fall_ = 0, lowest_fall_ = 0;  // evidence that the mean went down
};

}  // namespace hatch

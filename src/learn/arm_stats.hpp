// Running count, mean and variance of one arm's rewards (Welford's update, stable for long
// runs). Shared by the bandits and the learner's agents.
#pragma once

#include <cstdint>

namespace hatch {

struct ArmStats {
  std::uint64_t pulls = 0;
  double mean = 0;
  double sum_squares = 0;  // sum of squared deviations from the mean
  double last = 0;         // the most recent reward

  void add(double reward) {
    ++pulls;
    const double delta = reward - mean;
    mean += delta / double(pulls);
    sum_squares += delta * (reward - mean);
    last = reward;
  }
  // The population variance; 0 until two rewards are in.
  double variance() const { return pulls < 2 ? 0.0 : sum_squares / double(pulls); }
};

}  // namespace hatch

// The reward of a window: how good the design that ran was, in [0, 1], higher is better. This
// is all a learner optimises, so it is a setting, not a constant.
//
//   RewardFunction reward({.cap_ms = 50});
//   double r = reward(window.entry, hosts_used);
//
// The default is the paper's 1 - min(rt, cap) / cap, where the response time rt mixes the mean
// and a high percentile of the entry point's latency, minus an optional cost per host used.
#pragma once

#include <cstddef>

#include "perception/window.hpp"

namespace hatch {

struct RewardOptions {
  // Response times at or above the cap earn 0. A low cap sharpens the contrast between good
  // designs but flattens every bad one to 0; a high cap does the opposite. Must be > 0.
  double cap_ms = 100;
  // rt = (mean_weight * mean + tail_weight * tail) / (mean_weight + tail_weight), a weighted
  // average, so the cap keeps its meaning whatever the weights. The weights must be >= 0 and not
  // both 0. The mean is what the paper used and the steadiest estimate; the tail makes designs
  // with long queues pay for their worst requests, at the price of a noisier reward.
  double mean_weight = 0.75;
  double tail_weight = 0.25;
  // Which percentile the tail term reads: 50, 95 or 99.
  int tail_percentile = 95;
  // Subtracted per host used (nodes, not the origin); 0 means hosts are free. For example 0.01
  // makes a design that uses one host more worth it only if it cuts rt by 1% of the cap.
  double cost_per_host = 0;
};

class RewardFunction {
 public:
  // Throws UsageError naming the bad option.
  explicit RewardFunction(RewardOptions options = {});

  // The response time the reward is computed from, in milliseconds.
  double response_time_ms(const LatencySummary& entry) const;
  // The reward, clamped to [0, 1]. An empty window (no request completed) earns 0.
  double operator()(const LatencySummary& entry, std::size_t hosts_used = 0) const;

  const RewardOptions& options() const { return options_; }

 private:
  RewardOptions options_;
};

}  // namespace hatch

#include "perception/reward.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "hatch/error.hpp"

namespace hatch {

RewardFunction::RewardFunction(RewardOptions options) : options_(options) {
  if (!(options_.cap_ms > 0) || !std::isfinite(options_.cap_ms)) {
    throw UsageError("reward: cap_ms must be a positive number of milliseconds, got " +
                     std::to_string(options_.cap_ms));
  }
  if (!(options_.mean_weight >= 0) || !(options_.tail_weight >= 0) ||
      options_.mean_weight + options_.tail_weight <= 0) {
    throw UsageError("reward: mean_weight and tail_weight must be >= 0 and not both 0");
  }
  if (options_.tail_percentile != 50 && options_.tail_percentile != 95 &&
      options_.tail_percentile != 99) {
    throw UsageError("reward: tail_percentile must be 50, 95 or 99, got " +
                     std::to_string(options_.tail_percentile));
  }
  if (!(options_.cost_per_host >= 0) || options_.cost_per_host > 1) {
    throw UsageError("reward: cost_per_host must be between 0 and 1, got " +
                     std::to_string(options_.cost_per_host));
  }
}

double RewardFunction::response_time_ms(const LatencySummary& entry) const {
  const double tail = options_.tail_percentile == 50   ? entry.p50_ms
                      : options_.tail_percentile == 95 ? entry.p95_ms
                                                       : entry.p99_ms;
  return (options_.mean_weight * entry.mean_ms + options_.tail_weight * tail) /
         (options_.mean_weight + options_.tail_weight);
}

double RewardFunction::operator()(const LatencySummary& entry, std::size_t hosts_used) const {
  if (entry.count == 0) return 0;
  const double rt = std::max(0.0, response_time_ms(entry));
  const double latency_part = 1 - std::min(rt, options_.cap_ms) / options_.cap_ms;
  const double cost = options_.cost_per_host * static_cast<double>(hosts_used);
  return std::clamp(latency_part - cost, 0.0, 1.0);
}

}  // namespace hatch

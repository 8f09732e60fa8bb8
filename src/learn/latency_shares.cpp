#include "learn/latency_shares.hpp"

#include <algorithm>

namespace hatch {
namespace {

// Milliseconds per second spent in calls to each component (edge latencies carry the hop; a
// component without measured callers, the entry, is charged its own latency), and in the calls
// each component makes.
struct TimeSpent {
  std::vector<double> into;
  std::vector<double> out_of;
};

TimeSpent time_spent(const Window& window) {
  const std::size_t n = window.components.size();
  TimeSpent spent{std::vector<double>(n, 0.0), std::vector<double>(n, 0.0)};
  std::vector<bool> has_callers(n, false);
  for (const EdgeWindow& edge : window.edges) {
    const double ms = edge.calls_per_s * edge.latency_ms;
    if (edge.callee < n) {
      spent.into[edge.callee] += ms;
      has_callers[edge.callee] = true;
    }
    if (edge.caller < n) spent.out_of[edge.caller] += ms;
  }
  for (std::size_t c = 0; c < n; ++c)
    if (!has_callers[c])
      spent.into[c] = window.components[c].calls_per_s * window.components[c].latency.mean_ms;
  return spent;
}

}  // namespace

LatencyShares latency_shares(const Window& window) {
  const std::size_t n = window.components.size();
  LatencyShares shares{std::vector<double>(n, 0.0), std::vector<double>(n, 0.0)};
  const double per_second = window.throughput_rps * window.entry.mean_ms;
  if (per_second <= 0) return shares;
  const TimeSpent spent = time_spent(window);
  for (std::size_t c = 0; c < n; ++c) {
    shares.inclusive[c] = std::clamp(spent.into[c] / per_second, 0.0, 1.0);
    shares.self[c] = std::clamp((spent.into[c] - spent.out_of[c]) / per_second, 0.0, 1.0);
  }
  return shares;
}

std::vector<double> inclusive_ms(const Window& window) {
  if (!(window.throughput_rps > 0)) return std::vector<double>(window.components.size(), 0.0);
  std::vector<double> ms = time_spent(window).into;
  for (double& x : ms) x /= window.throughput_rps;
  return ms;
}

}  // namespace hatch

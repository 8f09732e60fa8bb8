#include "learn/latency_shares.hpp"

#include <algorithm>

namespace hatch {

LatencyShares latency_shares(const Window& window) {
  const std::size_t n = window.components.size();
  LatencyShares shares{std::vector<double>(n, 0.0), std::vector<double>(n, 0.0)};
  const double per_second = window.throughput_rps * window.entry.mean_ms;
  if (per_second <= 0) return shares;
  // Milliseconds per second spent in calls to each component (edge latencies carry the hop; a
  // component without measured callers, the entry, is charged its own latency), and in the
  // calls each component makes.
  std::vector<double> into(n, 0.0), out_of(n, 0.0);
  std::vector<bool> has_callers(n, false);
  for (const EdgeWindow& edge : window.edges) {
    const double ms = edge.calls_per_s * edge.latency_ms;
    if (edge.callee < n) {
      into[edge.callee] += ms;
      has_callers[edge.callee] = true;
    }
    if (edge.caller < n) out_of[edge.caller] += ms;
  }
  for (std::size_t c = 0; c < n; ++c) {
    const ComponentWindow& component = window.components[c];
    const double inclusive =
        has_callers[c] ? into[c] : component.calls_per_s * component.latency.mean_ms;
    shares.inclusive[c] = std::clamp(inclusive / per_second, 0.0, 1.0);
    shares.self[c] = std::clamp((inclusive - out_of[c]) / per_second, 0.0, 1.0);
  }
  return shares;
}

}  // namespace hatch

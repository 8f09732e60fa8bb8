#include "learn/latency_shares.hpp"

#include <algorithm>

namespace hatch {

std::vector<double> latency_shares(const Window& window) {
  const std::size_t n = window.components.size();
  std::vector<double> shares(n, 0.0);
  const double per_request_ms = window.entry.mean_ms;
  if (window.throughput_rps <= 0 || per_request_ms <= 0) return shares;
  // Time spent in calls to a component per entry request: its callers' view of its latency,
  // hop included, times how often it is called. Edge latencies carry the hop; a component
  // without measured incoming edges (the entry) is charged its own latency.
  std::vector<double> via_edges(n, 0.0);
  std::vector<bool> has_callers(n, false);
  for (const EdgeWindow& edge : window.edges) {
    if (edge.callee >= n) continue;
    via_edges[edge.callee] += edge.calls_per_s * edge.latency_ms;
    has_callers[edge.callee] = true;
  }
  for (std::size_t c = 0; c < n; ++c) {
    const ComponentWindow& component = window.components[c];
    const double ms_per_s =
        has_callers[c] ? via_edges[c] : component.calls_per_s * component.latency.mean_ms;
    shares[c] = std::clamp(ms_per_s / (window.throughput_rps * per_request_ms), 0.0, 1.0);
  }
  return shares;
}

}  // namespace hatch

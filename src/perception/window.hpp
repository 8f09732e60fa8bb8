// What perception reports for one window: the latency and throughput seen at the entry point,
// and per component and per edge of the component graph, the rates, latencies and payload
// sizes. The same struct comes from a live run (measured) and from the simulator (modelled),
// so the learner cannot tell them apart and never sees a scenario's hidden parameters.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hatch {

struct LatencySummary {
  std::uint64_t count = 0;  // calls measured
  double mean_ms = 0;
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
};

struct ComponentWindow {
  std::string name;
  double calls_per_s = 0;
  LatencySummary latency;     // time to serve one call, as the component's callers saw it
  double request_bytes = 0;   // mean argument bytes per call
  double response_bytes = 0;  // mean result bytes per call
};

struct EdgeWindow {
  std::size_t caller = 0;  // component indices, as in DesignSpace
  std::size_t callee = 0;
  double calls_per_s = 0;
  double bytes_per_call = 0;  // request plus response
  double latency_ms = 0;      // mean, as the caller saw it
};

struct Window {
  double seconds = 0;                       // length of the window
  double throughput_rps = 0;                // completed requests per second at the entry point
  LatencySummary entry;                     // latency at the entry point
  std::vector<ComponentWindow> components;  // indexed like DesignSpace's components
  std::vector<EdgeWindow> edges;
};

}  // namespace hatch

// Where a request's time goes, read from one window's observable metrics: for each component,
// the share of an entry request's latency spent in calls to it (its own work, its queueing, the
// network hop to reach it, and everything it calls in turn). The learner lets the components
// with the largest shares explore first and leaves those with negligible shares alone: moving a
// component that costs 0.1% of the latency cannot win 5%.
//
// Only perception's numbers go in: call rates, latencies and edge latencies. No scenario
// parameter is read.
#pragma once

#include <vector>

#include "perception/window.hpp"

namespace hatch {

// One share per component in `window.components`, each in [0, 1]; all zero if the window
// measured nothing. The entry component's share is 1 (every request passes through it).
std::vector<double> latency_shares(const Window& window);

}  // namespace hatch

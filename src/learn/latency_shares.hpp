// Where a request's time goes, read from one window's observable metrics. Per component:
//
//   inclusive share  the part of an entry request's latency spent in calls to it: its own work,
//                    its queueing, the network hop to reach it, and everything it calls;
//   self share       the same without the calls it makes: its own work, queueing and hop.
//
// The learner lets the components with the largest self shares explore first: they are where
// the time is spent, not merely where it passes through (every request passes through the
// handler). It leaves alone the components whose inclusive share is negligible: moving a
// component that costs 0.1% of the latency, counting all it calls, cannot win 5%.
//
// Only perception's numbers go in: call rates, latencies and edge latencies. No scenario
// parameter is read.
#pragma once

#include <vector>

#include "perception/window.hpp"

namespace hatch {

struct LatencyShares {
  std::vector<double> inclusive;  // per component in `window.components`, each in [0, 1]
  std::vector<double> self;
};

// All zero if the window measured nothing. The entry component's inclusive share is 1.
LatencyShares latency_shares(const Window& window);

// Per component, the milliseconds of an entry request spent in calls to it (its inclusive share
// times the entry latency, unclamped); all zero if the window completed no request.
std::vector<double> inclusive_ms(const Window& window);

}  // namespace hatch

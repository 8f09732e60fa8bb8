// Agents that explore at once (a crew), and what one window in which several of them moved says
// about each one's probe.
//
// Two components interact when one calls the other, directly or through others: moving the
// callee changes the caller's latency. Components that do not interact add their latencies to
// an entry request independently, so a window in which each of several moved can be read once
// per mover: the entry latency minus the change the others' moves made to the time spent in
// calls to them. That is a screen, not a measurement (the movers still share hosts): the
// learner runs a crew member's best screened probe alone before it accepts it.
#pragma once

#include <cstddef>
#include <vector>

#include "perception/window.hpp"

namespace hatch {

// Which components each component reaches through the calls of `edges` (itself included), for
// `count` components. Edges that name a component out of range are ignored.
class CallReach {
 public:
  CallReach(std::size_t count, const std::vector<EdgeWindow>& edges);
  // Whether neither of `a` and `b` reaches the other.
  bool independent(std::size_t a, std::size_t b) const;

 private:
  std::size_t count_;
  std::vector<char> reach_;  // count_ x count_, row: from
};

// The value of the window `w` (worth `value` to the learner, see learner.cpp) had only `mover`
// of `movers` left the incumbent: the entry latency less what the others' moves changed in the
// time spent in calls to them, against `incumbent_inclusive_ms` (inclusive_ms of the incumbent's
// latest window). `value` itself when the window measured no entry latency.
double screened_value(double value, const Window& w,
                      const std::vector<double>& incumbent_inclusive_ms,
                      const std::vector<std::size_t>& movers, std::size_t mover);

}  // namespace hatch

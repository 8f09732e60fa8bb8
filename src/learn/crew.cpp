#include "learn/crew.hpp"

#include <algorithm>
#include <cmath>

#include "learn/latency_shares.hpp"

namespace hatch {

CallReach::CallReach(std::size_t count, const std::vector<EdgeWindow>& edges)
    : count_(count), reach_(count * count, 0) {
  for (std::size_t c = 0; c < count_; ++c) reach_[c * count_ + c] = 1;
  // Closure by repeated relaxation: at most `count` rounds, each a pass over the edges.
  for (bool grew = true; grew;) {
    grew = false;
    for (const EdgeWindow& edge : edges) {
      if (edge.caller >= count_ || edge.callee >= count_) continue;
      for (std::size_t from = 0; from < count_; ++from) {
        if (!reach_[from * count_ + edge.caller]) continue;
        char& to = reach_[from * count_ + edge.callee];
        if (!to) grew = true;
        to = 1;
      }
    }
  }
}

bool CallReach::independent(std::size_t a, std::size_t b) const {
  if (a >= count_ || b >= count_) return false;
  return !reach_[a * count_ + b] && !reach_[b * count_ + a];
}

double screened_value(double value, const Window& w,
                      const std::vector<double>& incumbent_inclusive_ms,
                      const std::vector<std::size_t>& movers, std::size_t mover) {
  const double ran_ms = w.entry.mean_ms;
  if (!(ran_ms > 0) || w.entry.count == 0) return value;
  const std::vector<double> inclusive = inclusive_ms(w);
  double others_ms = 0;
  for (std::size_t c : movers)
    if (c != mover && c < inclusive.size() && c < incumbent_inclusive_ms.size())
      others_ms += inclusive[c] - incumbent_inclusive_ms[c];
  // The others cannot have taken more than the whole window, nor can this mover's own latency
  // fall below a tenth of what ran.
  const double alone_ms = std::max(ran_ms - others_ms, 0.1 * ran_ms);
  // A positive value is -ln(latency / cap), so a latency ratio is a difference of values; a
  // value from a window past the reward's cap is -ms / (ms + 100) (learner.cpp).
  if (value > 0) return value + std::log(ran_ms / alone_ms);
  return -alone_ms / (alone_ms + 100);
}

}  // namespace hatch

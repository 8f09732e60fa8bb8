#include "learn/ucb1_tuned.hpp"

#include <algorithm>

namespace hatch {

std::size_t Ucb1Tuned::select() {
  const double log_total = std::log(double(total()));
  return select_by([&](std::size_t i) {
    const double n = double(arm(i).pulls);
    const double variance_bound = arm(i).variance() + std::sqrt(2 * log_total / n);
    return arm(i).mean + std::sqrt(log_total / n * std::min(0.25, variance_bound));
  });
}

}  // namespace hatch

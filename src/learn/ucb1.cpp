#include "learn/ucb1.hpp"

namespace hatch {

std::size_t Ucb1::select() {
  const double log_total = std::log(double(total()));
  return select_by([&](std::size_t i) {
    return arm(i).mean + exploration_ * std::sqrt(log_total / double(arm(i).pulls));
  });
}

}  // namespace hatch

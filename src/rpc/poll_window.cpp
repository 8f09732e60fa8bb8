#include "rpc/poll_window.hpp"

#include <algorithm>

namespace hatch::rpc {

PollWindow::PollWindow(Limits limits) noexcept
    : floor_ns_(std::chrono::nanoseconds(limits.floor).count()),
      ceiling_ns_(std::max(floor_ns_, std::chrono::nanoseconds(limits.ceiling).count())),
      current_ns_(floor_ns_) {}

void PollWindow::slept(std::chrono::nanoseconds idle) noexcept {
  const std::int64_t now = current_ns_.load(std::memory_order_relaxed);
  const std::int64_t next =
      idle.count() <= ceiling_ns_ ? std::min(ceiling_ns_, now * 2) : std::max(floor_ns_, now / 2);
  current_ns_.store(next, std::memory_order_relaxed);
}

}  // namespace hatch::rpc

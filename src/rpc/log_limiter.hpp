// A budget for a log line that a peer can cause at will (a refused connection, a failing
// accept): at most one line per interval, and the line that goes out says how many it stands
// for, so that a flood of peers cannot flood the log, and nothing goes uncounted.
//
//   if (auto n = limiter.admit()) spdlog::warn("refused peer {} ({} like it)", from, *n);
//
// Thread safety: admit() may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

namespace hatch::rpc {

class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::milliseconds interval = std::chrono::seconds(1))
      : interval_(interval) {}

  // Counts one event. Returns how many events the line to log now stands for (this one and
  // those suppressed since the last line), or nothing when the line must be left out.
  std::optional<std::uint64_t> admit() {
    std::lock_guard lock(mu_);
    ++events_;
    const auto now = std::chrono::steady_clock::now();
    if (logged_ && now - last_ < interval_) return std::nullopt;
    logged_ = true;
    last_ = now;
    return std::exchange(events_, 0);
  }

 private:
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  bool logged_ = false;
  std::chrono::steady_clock::time_point last_;
  std::uint64_t events_ = 0;
};

}  // namespace hatch::rpc

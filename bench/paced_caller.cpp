#include "paced_caller.hpp"

#include <exception>
#include <stdexcept>

namespace hatch::bench {

using Clock = std::chrono::steady_clock;

PacedCaller::PacedCaller(std::function<void()> call, double rate)
    : call_(std::move(call)), rate_(rate), window_start_(Clock::now()) {
  if (!(rate_ > 0)) throw std::invalid_argument("paced caller: the rate must be above 0");
  thread_ = std::thread([this] { run(); });
}

PacedCaller::~PacedCaller() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_requested_.notify_all();
  thread_.join();
}

PacedCaller::Window PacedCaller::take() {
  const Clock::time_point now = Clock::now();
  Window w;
  w.seconds = std::chrono::duration<double>(now - window_start_).count();
  window_start_ = now;
  w.errors = errors_.exchange(0);
  w.latency = latency_.take().summary();
  return w;
}

void PacedCaller::run() {
  const Clock::time_point start = Clock::now();
  for (std::uint64_t i = 0;; ++i) {
    const Clock::time_point due =
        start + std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(static_cast<double>(i) / rate_));
    {
      std::unique_lock lock(mu_);
      if (stop_requested_.wait_until(lock, due, [this] { return stopping_; })) return;
    }
    try {
      call_();
      latency_.record(std::chrono::duration<double, std::milli>(Clock::now() - due).count());
    } catch (const std::exception&) {
      ++errors_;
    }
  }
}

}  // namespace hatch::bench

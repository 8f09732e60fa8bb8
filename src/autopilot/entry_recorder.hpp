// What the entry point saw: every entry call's latency (internal/call_meter.hpp) or every
// request the program reported, gathered for the learning loop window by window, and the
// first of them, which tells the autopilot that the program is serving.
//
// Thread safety: entry_call() runs on the program's threads, concurrently with everything.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "autopilot/learning_loop.hpp"
#include "hatch/internal/call_meter.hpp"
#include "perception/latency_histogram.hpp"

namespace hatch {

class EntryRecorder final : public EntryObserver {
 public:
  void entry_call(std::chrono::nanoseconds took, bool failed) noexcept override {
    if (failed) {
      errors_.fetch_add(1, std::memory_order_relaxed);
    } else {
      latencies_.record(std::chrono::duration<double, std::milli>(took).count());
    }
    if (!seen_.load(std::memory_order_relaxed)) {
      std::lock_guard lock(mu_);
      seen_ = true;
      cv_.notify_all();
    }
  }

  // What was seen since the last take.
  EntrySample take() {
    return EntrySample{latencies_.take(), errors_.exchange(0, std::memory_order_relaxed)};
  }

  // Blocks until the first entry call (true) or wake() (false).
  bool wait_first() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return seen_.load() || woken_; });
    return seen_.load();
  }
  void wake() {
    std::lock_guard lock(mu_);
    woken_ = true;
    cv_.notify_all();
  }

 private:
  LatencyHistogram latencies_;
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<bool> seen_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;  // guarded by mu_
};

}  // namespace hatch

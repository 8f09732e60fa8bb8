// The legitimate caller of the flood benchmark (scripts/flood_bench): one call at a time on a
// fixed schedule, timed window by window while a flood comes and goes.
//
//   PacedCaller caller([&] { ref->add(1, 2); }, 500);   // 500 calls per second
//   ...  PacedCaller::Window w = caller.take();          // what it saw since the last take()
//
// It is an open loop: call i is due at start + i / rate, and its latency counts from when it was
// due, not from when it was sent. A server that falls behind so shows its queueing delay instead
// of slowing the caller down (no coordinated omission); calls that fell behind are sent back to
// back until the schedule is met again.
//
// Thread safety: the calls run on a thread of the caller's own; take() may be called from any
// one thread while they run.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "perception/latency_histogram.hpp"

namespace hatch::bench {

class PacedCaller {
 public:
  // Starts calling `call` `rate` times per second (above 0) until destruction. A call that
  // throws counts as an error; one that returns, as answered.
  PacedCaller(std::function<void()> call, double rate);
  // Stops the schedule and waits for the call in flight, if any.
  ~PacedCaller();
  PacedCaller(const PacedCaller&) = delete;
  PacedCaller& operator=(const PacedCaller&) = delete;

  struct Window {
    double seconds = 0;
    std::uint64_t errors = 0;
    LatencySummary latency;  // of the answered calls, in ms; its count is theirs
  };
  // What the calls answered (or failed) since the previous take() (or the start) saw.
  Window take();

 private:
  void run();

  const std::function<void()> call_;
  const double rate_;
  LatencyHistogram latency_;
  std::atomic<std::uint64_t> errors_{0};
  std::chrono::steady_clock::time_point window_start_;  // touched by take() alone
  std::mutex mu_;
  std::condition_variable stop_requested_;  // with mu_
  bool stopping_ = false;                   // guarded by mu_
  std::thread thread_;                      // last: starts once the rest is built
};

}  // namespace hatch::bench

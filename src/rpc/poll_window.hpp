// How long an I/O pool's leader polls for the next event after it served a request, before it
// sleeps in epoll_wait.
//
// Waking a sleeping thread costs more than a whole loopback round trip on these VMs, and a poll
// costs only a core's idle time (the leader yields between polls), so a leader that will be asked
// again soon should poll until then. How soon depends on what the process serves: a node's next
// request comes within microseconds of its answer when its caller spins, and a replica's next
// batch comes a whole client round trip later. So the window follows the gaps the pool sees, as
// Linux's haltpoll cpuidle governor does for a vCPU (docs/decisions.md, "The I/O leader's poll
// follows the gaps between events"):
//   - the next event came while the leader polled: the window holds;
//   - the leader slept, and the next event came within the ceiling of the poll's start: a longer
//     poll would have caught it, so the window doubles, to at most the ceiling;
//   - the next event came later than that: no poll the pool allows would have caught it, so the
//     window halves, to no less than the floor.
// A floor of 0 turns the poll off.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace hatch::rpc {

class PollWindow {
 public:
  struct Limits {
    std::chrono::microseconds floor;
    std::chrono::microseconds ceiling;
  };

  // The ceiling is raised to the floor if it is lower.
  explicit PollWindow(Limits limits) noexcept;

  std::chrono::nanoseconds current() const noexcept {
    return std::chrono::nanoseconds(current_ns_.load(std::memory_order_relaxed));
  }

  // The leader polled for the whole window and then slept; its next event came `idle` after the
  // poll began.
  void slept(std::chrono::nanoseconds idle) noexcept;

 private:
  const std::int64_t floor_ns_;
  const std::int64_t ceiling_ns_;
  // Read and written by whichever thread leads; atomic because the lead moves between threads.
  std::atomic<std::int64_t> current_ns_;
};

}  // namespace hatch::rpc

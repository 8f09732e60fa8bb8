// An emulated storage device: each access takes a fixed time, and at most `slots` accesses are
// served at once; the others queue. It stands in for a disk's latency and limited parallelism on
// a machine whose files all sit in the page cache, so that spreading a store over more hosts
// (more devices) has the effect it has in a data center. It waits with a timed sleep, not a busy
// loop: an emulated disk costs time, not CPU.
//
// Thread safety: access() may be called from any number of threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace hatch::web {

class EmulatedDevice {
 public:
  // `access_time` zero makes access() return at once. `slots` must be at least 1.
  EmulatedDevice(std::chrono::microseconds access_time, std::int64_t slots)
      : access_time_(access_time), free_slots_(slots) {}

  // Blocks for one access: waits for a free slot, then holds it for the access time.
  void access() {
    if (access_time_.count() <= 0) return;
    {
      std::unique_lock lock(mu_);
      slot_free_.wait(lock, [&] { return free_slots_ > 0; });
      --free_slots_;
    }
    std::this_thread::sleep_for(access_time_);
    {
      std::lock_guard lock(mu_);
      ++free_slots_;
    }
    slot_free_.notify_one();
  }

 private:
  const std::chrono::microseconds access_time_;
  std::mutex mu_;
  std::condition_variable slot_free_;
  std::int64_t free_slots_;  // guarded by mu_
};

}  // namespace hatch::web

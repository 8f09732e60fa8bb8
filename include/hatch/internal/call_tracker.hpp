// Which binding cells each thread is calling into locally, so that a transition can wait for
// the local calls already in flight ("drain") without making every call pay for an atomic
// read-modify-write.
//
// A local call through Ref<I> records its cell in a slot of its own thread (two plain stores,
// about a nanosecond) before it loads the target, and clears it after. The transition rebinds
// the cell first, then issues a process-wide memory barrier (membarrier(2)), then waits until
// no thread shows the cell. After the barrier, every thread either shows the cell, or will load
// the new target: the old target receives no new call, and the wait covers the old ones.
//
// Thread safety: a thread writes only its own record; drain() reads everyone's.
#pragma once

#include <atomic>
#include <chrono>

namespace hatch::internal {

struct ThreadCalls {
  static constexpr int kMaxDepth = 32;
  std::atomic<const void*> cells[kMaxDepth] = {};
  std::atomic<int> depth{0};
};

// This thread's record, registered on first use and removed when the thread ends.
ThreadCalls& register_this_thread();

inline ThreadCalls& this_thread_calls() {
  thread_local ThreadCalls& calls = register_this_thread();
  return calls;
}

// Marks the start and end of one local call into `cell` on this thread.
class CallScope {
 public:
  explicit CallScope(const void* cell) noexcept : calls_(this_thread_calls()) {
    depth_ = calls_.depth.load(std::memory_order_relaxed);
    if (depth_ < ThreadCalls::kMaxDepth)
      calls_.cells[depth_].store(cell, std::memory_order_relaxed);
    calls_.depth.store(depth_ + 1, std::memory_order_relaxed);
    std::atomic_signal_fence(std::memory_order_seq_cst);
  }
  ~CallScope() {
    std::atomic_signal_fence(std::memory_order_seq_cst);
    calls_.depth.store(depth_, std::memory_order_release);
  }
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

 private:
  ThreadCalls& calls_;
  int depth_;
};

// While alive, this thread's innermost call into `cell` does not count as in flight: a caller
// that waits at a closed gate must not hold up the drain that the gate is for.
class ParkedCall {
 public:
  explicit ParkedCall(const void* cell) noexcept;
  ~ParkedCall();
  ParkedCall(const ParkedCall&) = delete;
  ParkedCall& operator=(const ParkedCall&) = delete;

 private:
  std::atomic<const void*>* slot_ = nullptr;
  const void* cell_;
};

// Waits until no thread is in a local call into `cell` that loaded its target before this
// call began. Requires the cell to have been rebound already. Returns false if calls are still
// in flight at `deadline`, or the kernel offers no process-wide barrier (membarrier(2)).
[[nodiscard]] bool drain_local_calls(const void* cell, std::chrono::steady_clock::time_point deadline);

}  // namespace hatch::internal

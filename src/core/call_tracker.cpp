#include "hatch/internal/call_tracker.hpp"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

namespace hatch::internal {

namespace {

// The records of live threads. Process-wide by nature: a drain must see every thread.
struct Registry {
  std::mutex mu;
  std::vector<ThreadCalls*> threads;  // guarded by mu
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: threads may end after static exit
  return *r;
}

struct Owner {
  ThreadCalls* calls = new ThreadCalls;
  Owner() {
    std::lock_guard lock(registry().mu);
    registry().threads.push_back(calls);
  }
  ~Owner() {
    std::lock_guard lock(registry().mu);
    auto& v = registry().threads;
    v.erase(std::remove(v.begin(), v.end(), calls), v.end());
    delete calls;
  }
};

bool expedited_barrier_ready() {
  static const bool ready =
      syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
  return ready;
}

// A full memory barrier on every running thread of the process. Returns false when the
// kernel offers none (a sandbox may block the system call): then no drain is safe.
bool process_barrier() {
  if (expedited_barrier_ready() &&
      syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0) {
    return true;
  }
  // Without the expedited command, the slower global one, which every Linux since 4.3 has.
  return syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0;
}

bool shows(const ThreadCalls& t, const void* cell) {
  const int depth = t.depth.load(std::memory_order_acquire);
  if (depth > ThreadCalls::kMaxDepth) return true;  // too deep to know: assume it does
  for (int i = 0; i < depth; ++i) {
    if (t.cells[i].load(std::memory_order_relaxed) == cell) return true;
  }
  return false;
}

}  // namespace

ThreadCalls& register_this_thread() {
  thread_local Owner owner;
  expedited_barrier_ready();
  return *owner.calls;
}

ParkedCall::ParkedCall(const void* cell) noexcept : cell_(cell) {
  ThreadCalls& t = this_thread_calls();
  const int depth = std::min(t.depth.load(std::memory_order_relaxed), ThreadCalls::kMaxDepth);
  for (int i = depth - 1; i >= 0; --i) {
    if (t.cells[i].load(std::memory_order_relaxed) == cell) {
      slot_ = &t.cells[i];
      slot_->store(nullptr, std::memory_order_release);
      return;
    }
  }
}

ParkedCall::~ParkedCall() {
  if (slot_ != nullptr) slot_->store(cell_, std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

bool drain_local_calls(const void* cell, std::chrono::steady_clock::time_point deadline) {
  const ThreadCalls* self = &this_thread_calls();  // registers before the registry is locked
  if (!process_barrier()) return false;
  for (;;) {
    bool busy = false;
    {
      std::lock_guard lock(registry().mu);
      for (const ThreadCalls* t : registry().threads) {
        if (t != self && shows(*t, cell)) {
          busy = true;
          break;
        }
      }
    }
    if (!busy) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::yield();
  }
}

}  // namespace hatch::internal

// The most heap memory a piece of code holds at once, measured on the calling thread through
// the sanitizer allocator's hooks, so that a harness can assert that a decoder allocates within
// its bounds (an allocation it frees again still counts while it lived).
//
//   fuzz::AllocationPeak::install();     // once, from LLVMFuzzerInitialize
//   fuzz::AllocationPeak peak;
//   decode(bytes);
//   fuzz::check(peak.bytes() <= bound, "...");
//
// Only the measuring thread's allocations and frees count, so other threads do not disturb it.
// The count starts at zero: a block allocated before and freed during the measure lowers it.
// Needs AddressSanitizer, which the fuzz build always has.
#pragma once

#include <sanitizer/allocator_interface.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace hatch::fuzz {

class AllocationPeak {
 public:
  // Installs the hooks. Call it once, before the process starts other threads.
  static void install() { __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free); }

  AllocationPeak() {
    state().live = 0;
    state().peak = 0;
    state().active = true;
  }
  ~AllocationPeak() { state().active = false; }
  AllocationPeak(const AllocationPeak&) = delete;
  AllocationPeak& operator=(const AllocationPeak&) = delete;

  // The peak so far, in bytes.
  std::size_t bytes() const { return static_cast<std::size_t>(state().peak); }

 private:
  struct State {
    bool active = false;
    std::int64_t live = 0;
    std::int64_t peak = 0;
  };
  static State& state() {
    static thread_local State s;
    return s;
  }
  static void on_malloc(const volatile void*, std::size_t size) {
    State& s = state();
    if (!s.active) return;
    s.live += static_cast<std::int64_t>(size);
    s.peak = std::max(s.peak, s.live);
  }
  static void on_free(const volatile void* p) {
    State& s = state();
    if (!s.active || p == nullptr) return;
    s.live -= static_cast<std::int64_t>(__sanitizer_get_allocated_size(p));
  }
};

}  // namespace hatch::fuzz

// The shared slot that every copy of a Ref<I> reads its current target from.
//
// Thread safety: target() may be called from any thread at any time; it is one acquire load.
// bind() may be called concurrently with calls. A target that is replaced stays alive until the
// cell dies or a transition, having drained its calls, releases it, so a call that loaded the
// old pointer completes on a live object (see docs/architecture.md).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "hatch/binding.hpp"

namespace hatch {

namespace internal {
class CallMeter;
}

class BindingCell {
 public:
  // Calls through the cell's refs are timed into `meter`, when given, while it measures
  // (internal/call_meter.hpp).
  BindingCell(std::string component, std::string_view interface_name,
              std::shared_ptr<internal::CallMeter> meter = nullptr);
  BindingCell(const BindingCell&) = delete;
  BindingCell& operator=(const BindingCell&) = delete;

  // The current target, an I* of the cell's interface, or null before the first bind.
  void* target() const noexcept { return target_.load(std::memory_order_acquire); }

  // Makes `target` (owned by `owner`) the target of every ref to this cell, and wakes the
  // callers waiting in wait_for_rebind(). `instance` is the component instance `target`
  // forwards to when it is a wrapper of one (a counting proxy, internal/local_calls.hpp), so
  // that release() knows it by either; null: `target` is the instance. An `owner` of null
  // rebinds a target bound before, which keeps its owner and instance.
  void bind(std::shared_ptr<void> owner, void* target, Binding binding,
            const void* instance = nullptr);

  // Drops the cell's hold on `target` (a bound target, or the instance one wraps) that it no
  // longer points to, once no call can still be running in it (its calls were drained). Frees
  // a moved-away instance and its state.
  void release(const void* target);

  // Counts bind() calls; a caller notes it before a call to see later whether it was rebound.
  std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }

  // Waits until the cell is bound again after `generation`. Returns false at `deadline`.
  [[nodiscard]] bool wait_for_rebind(std::uint64_t generation,
                                     std::chrono::steady_clock::time_point deadline) const;

  Binding binding() const;
  const std::string& component() const noexcept { return component_; }
  std::string_view interface_name() const noexcept { return interface_name_; }
  internal::CallMeter* meter() const noexcept { return meter_.get(); }

 private:
  std::atomic<void*> target_{nullptr};
  const std::string component_;
  const std::string_view interface_name_;
  const std::shared_ptr<internal::CallMeter> meter_;
  std::atomic<std::uint64_t> generation_{0};
  mutable std::mutex mu_;
  mutable std::condition_variable rebound_;
  struct Held {
    const void* target;
    const void* instance;
    std::shared_ptr<void> owner;
  };
  Binding binding_;                 // guarded by mu_
  const void* instance_ = nullptr;  // guarded by mu_: the current target's instance
  std::vector<Held> owners_;        // guarded by mu_: the targets bound so far, until released
};

}  // namespace hatch

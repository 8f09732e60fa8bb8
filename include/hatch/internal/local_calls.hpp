// Counting the calls that reach a component through a local binding, per method, for the
// process's metrics (hatch_calls_total{where="local"}, core/metrics.hpp).
//
// A local Ref call goes straight to the instance's virtual method, and the method's identity is
// not known on that path. When a process keeps metrics, its local bindings are bound to a
// counting proxy (Interface::HatchProxy<CountingLink>) that knows the method: it calls the
// instance, and counts the call only once someone has read the metrics (the first scrape turns
// counting on). Until then it costs one more indirect call and one relaxed load per call; a
// process without metrics binds the instance itself and pays nothing.
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "hatch/error.hpp"
#include "hatch/internal/call_meter.hpp"

namespace hatch::internal {

class Metrics;

// Where one component's local calls are counted. Each method remembers the series of its first
// few callers, so that counting a call takes no lock and builds no label string.
class LocalCalls {
 public:
  // `methods`: how many methods the component's interface has.
  LocalCalls(std::shared_ptr<Metrics> metrics, std::string callee, std::size_t methods);
  ~LocalCalls();
  LocalCalls(const LocalCalls&) = delete;
  LocalCalls& operator=(const LocalCalls&) = delete;

  // Whether calls are counted now: someone has read the metrics.
  bool on() const noexcept { return on_->load(std::memory_order_relaxed); }
  const std::string& callee() const noexcept { return callee_; }

  // One call of method number `method`, named `name`, from `caller`, that returned after `took`.
  void returned(std::uint32_t method, std::string_view name, std::string_view caller,
                std::chrono::nanoseconds took) noexcept;
  // One that threw `error`: counted under its status code (application_error for anything but
  // a hatch::RemoteError, which keeps its own).
  void threw(std::uint32_t method, std::string_view name, std::string_view caller,
             std::chrono::nanoseconds took, std::exception_ptr error) noexcept;

 private:
  struct Seen;                                // one caller of one method, and its series
  static constexpr std::size_t kCallers = 4;  // remembered per method; others are looked up

  void count(std::uint32_t method, std::string_view name, std::string_view caller,
             std::chrono::nanoseconds took, StatusCode status) noexcept;

  const std::shared_ptr<Metrics> metrics_;
  const std::atomic<bool>* const on_;
  const std::string callee_;
  const std::size_t methods_;
  // kCallers slots per method, filled in order and never emptied; each Seen is owned by kept_.
  const std::unique_ptr<std::atomic<const Seen*>[]> seen_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Seen>> kept_;  // guarded by mu_
};

// The link a counting proxy forwards through: it owns the instance (through `owner`) and
// calls `target`, an I* of the proxy's interface.
class CountingLink {
 public:
  CountingLink(std::shared_ptr<void> owner, void* target, std::shared_ptr<LocalCalls> calls)
      : owner_(std::move(owner)), target_(target), calls_(std::move(calls)) {}

  template <class R, class I, class... P, class... A>
  R call(std::uint32_t method, R (I::*fn)(P...), A&&... args) {
    I* const target = static_cast<I*>(target_);
    if (!calls_->on()) return (target->*fn)(std::forward<A>(args)...);
    const std::string_view name = I::hatch_methods[method].name;
    const std::string_view caller = calling_component(calls_->callee());
    const CallerScope serving(calls_->callee());
    const auto start = std::chrono::steady_clock::now();
    try {
      if constexpr (std::is_void_v<R>) {
        (target->*fn)(std::forward<A>(args)...);
        calls_->returned(method, name, caller, std::chrono::steady_clock::now() - start);
      } else {
        R result = (target->*fn)(std::forward<A>(args)...);
        calls_->returned(method, name, caller, std::chrono::steady_clock::now() - start);
        return result;
      }
    } catch (...) {
      calls_->threw(method, name, caller, std::chrono::steady_clock::now() - start,
                    std::current_exception());
      throw;
    }
  }

 private:
  std::shared_ptr<void> owner_;
  void* target_;
  std::shared_ptr<LocalCalls> calls_;
};

}  // namespace hatch::internal

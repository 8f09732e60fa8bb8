// Perception of the component graph inside one process: how many calls each caller made to each
// component while measuring was on, and how long they took as the caller saw them (queueing,
// network hop and everything the callee called in turn included).
//
// Every Ref call into a cell that has a meter checks one relaxed flag; only while measuring is
// on does it read the clock twice and add to its edge's totals under a short lock. The origin
// turns measuring on in every process and collects the totals window by window
// (Origin::take_call_metrics).
//
// The caller is the component whose method the calling thread is serving: a Ref call marks its
// callee as the thread's current component for its duration, and a node serving a remote call
// marks the component it dispatches to (CallerScope). A call from outside any component, such
// as the web server's front end, has the caller "".
//
// Entry calls: a call from outside any component (caller "") is where the program's own work
// enters the component graph; its latency is what a learner optimises. An EntryObserver set on
// the meter sees each of them as it ends, with whether it failed, while measuring is on. It
// may be told to watch the calls into one component instead, from any caller.
//
// Thread safety: everything may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hatch {

// The calls one caller made to one component in a window.
struct CallEdge {
  std::string caller;  // "" for calls from outside any component
  std::string callee;
  std::uint64_t calls = 0;
  double total_ms = 0;  // the sum of their latencies
};

// Sees every entry call a CallMeter measures, from the thread that made it; must not block.
class EntryObserver {
 public:
  virtual ~EntryObserver() = default;
  virtual void entry_call(std::chrono::nanoseconds took, bool failed) noexcept = 0;
};

namespace internal {

class CallMeter {
 public:
  bool on() const noexcept { return on_.load(std::memory_order_relaxed); }
  void set_on(bool on) noexcept { on_.store(on, std::memory_order_relaxed); }

  // `failed`: the call ended with an exception.
  void record(std::string_view caller, std::string_view callee, std::chrono::nanoseconds took,
              bool failed = false);

  // Entry calls go to `observer` (null: nowhere): the calls from outside any component, or,
  // when `component` is not empty, every call into that component.
  void set_entry(std::shared_ptr<EntryObserver> observer, std::string component = {});

  // The totals since the last take, which start again from zero.
  std::vector<CallEdge> take();

 private:
  struct Totals {
    std::uint64_t calls = 0;
    std::int64_t ns = 0;
  };
  using Key = std::pair<std::string, std::string>;
  struct KeyLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return std::pair<std::string_view, std::string_view>(a.first, a.second) <
             std::pair<std::string_view, std::string_view>(b.first, b.second);
    }
  };

  std::atomic<bool> on_{false};
  std::mutex mu_;
  std::map<Key, Totals, KeyLess> edges_;  // guarded by mu_
  std::shared_ptr<EntryObserver> entry_;  // guarded by mu_
  std::string entry_component_;           // guarded by mu_
};

// The component the calling thread is serving now, or "" outside any.
std::string_view current_component() noexcept;

// The caller of the call into `callee` this thread is making now: the component it was
// serving before a MeteredCall into `callee` marked `callee` current, else the current one.
std::string_view calling_component(std::string_view callee) noexcept;

// Makes `component` this thread's current component until destroyed, then restores the last.
// `component` must outlive the scope.
class CallerScope {
 public:
  explicit CallerScope(std::string_view component) noexcept;
  ~CallerScope();
  CallerScope(const CallerScope&) = delete;
  CallerScope& operator=(const CallerScope&) = delete;

 private:
  std::string_view previous_;
};

// Times one Ref call into `callee` when `meter` is measuring, and marks `callee` as the current
// component meanwhile. Costs one relaxed load when it is not measuring.
class MeteredCall {
 public:
  MeteredCall(CallMeter* meter, const std::string& callee) noexcept {
    if (meter != nullptr && meter->on()) begin(meter, callee);
  }
  ~MeteredCall() {
    if (meter_ != nullptr) end();
  }
  MeteredCall(const MeteredCall&) = delete;
  MeteredCall& operator=(const MeteredCall&) = delete;

 private:
  void begin(CallMeter* meter, const std::string& callee) noexcept;
  void end() noexcept;

  friend std::string_view calling_component(std::string_view callee) noexcept;

  // What begin() records, for end().
  struct Measuring {
    const std::string* callee;
    std::string_view caller;
    const MeteredCall* outer;  // the thread's MeteredCall this one is nested in
    int exceptions;            // in flight when the call began: one more at its end means it failed
    std::chrono::steady_clock::time_point start;
  };

  CallMeter* meter_ = nullptr;
  // Written by begin() only: a call that is not measured stores nothing here. Every local Ref
  // call constructs a MeteredCall, and zeroing these fields was a third of its overhead.
  union {
    Measuring measuring_;
  };
};

}  // namespace internal
}  // namespace hatch

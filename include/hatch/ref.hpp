// Ref<I>: what callers hold to reach a component, wherever it lives.
//
//   hatch::Ref<Cache> cache = app.get<Cache>("cache");
//   cache->put("k", "v");                 // local, remote, ...: the caller's code is the same
//   std::optional<std::string> v = cache->get("k");
//
// A Ref is cheap to copy (one shared pointer) and every copy follows the component's current
// binding: when Hatch moves the component, existing refs reach it at its new home. A call
// through a local binding costs about a nanosecond more than a virtual call: an acquire load,
// two stores to a per-thread record that lets a move wait for calls in flight, and one relaxed
// load to see whether perception is measuring calls (internal/call_meter.hpp).
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "hatch/binding.hpp"
#include "hatch/internal/binding_cell.hpp"
#include "hatch/internal/call_meter.hpp"
#include "hatch/internal/call_tracker.hpp"

namespace hatch {

namespace internal {

template <class I>
class TrackedCall {
 public:
  explicit TrackedCall(const BindingCell& cell) noexcept
      : scope_(&cell),
        metered_(cell.meter(), cell.component()),
        target_(static_cast<I*>(cell.target())) {}
  I* operator->() const noexcept { return target_; }

 private:
  CallScope scope_;
  MeteredCall metered_;
  I* target_;
};

}  // namespace internal

template <class I>
class Ref {
 public:
  Ref() = default;
  explicit Ref(std::shared_ptr<BindingCell> cell) : cell_(std::move(cell)) {}

  // The target of one call: `ref->method(args)`. Requires a non-empty ref. The object it
  // returns lives until the end of the full expression and marks the call as in flight, so a
  // transition can wait for it (see internal/call_tracker.hpp). Keep no pointer beyond that.
  internal::TrackedCall<I> operator->() const noexcept { return internal::TrackedCall<I>(*cell_); }

  explicit operator bool() const noexcept { return cell_ != nullptr; }
  const std::string& component() const { return cell_->component(); }
  Binding binding() const { return cell_->binding(); }
  const std::shared_ptr<BindingCell>& cell() const noexcept { return cell_; }

 private:
  std::shared_ptr<BindingCell> cell_;
};

}  // namespace hatch

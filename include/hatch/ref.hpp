// Ref<I>: what callers hold to reach a component, wherever it lives.
//
//   hatch::Ref<Cache> cache = app.get<Cache>("cache");
//   cache->put("k", "v");                 // local, remote, ...: the caller's code is the same
//   std::optional<std::string> v = cache->get("k");
//
// A Ref is cheap to copy (one shared pointer) and every copy follows the component's current
// binding: when Hatch moves the component, existing refs reach it at its new home. A call
// through a local binding costs one atomic load more than a virtual call.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "hatch/binding.hpp"
#include "hatch/internal/binding_cell.hpp"

namespace hatch {

template <class I>
class Ref {
 public:
  Ref() = default;
  explicit Ref(std::shared_ptr<BindingCell> cell) : cell_(std::move(cell)) {}

  // Requires a non-empty ref. The pointer is valid for the duration of one call expression.
  I* operator->() const noexcept { return static_cast<I*>(cell_->target()); }
  I& operator*() const noexcept { return *operator->(); }

  explicit operator bool() const noexcept { return cell_ != nullptr; }
  const std::string& component() const { return cell_->component(); }
  Binding binding() const { return cell_->binding(); }
  const std::shared_ptr<BindingCell>& cell() const noexcept { return cell_; }

 private:
  std::shared_ptr<BindingCell> cell_;
};

}  // namespace hatch

#include "hatch/internal/binding_cell.hpp"

#include "hatch/internal/call_meter.hpp"

#include <utility>

namespace hatch {

BindingCell::BindingCell(std::string component, std::string_view interface_name,
                         std::shared_ptr<internal::CallMeter> meter)
    : component_(std::move(component)), interface_name_(interface_name), meter_(std::move(meter)) {}

void BindingCell::bind(std::shared_ptr<void> owner, void* target, Binding binding,
                       const void* instance) {
  {
    std::lock_guard lock(mu_);
    if (owner != nullptr) {
      instance_ = instance != nullptr ? instance : target;
      owners_.push_back({target, instance_, std::move(owner)});
    } else {
      instance_ = target;
      for (const Held& held : owners_) {
        if (held.target == target) instance_ = held.instance;
      }
    }
    binding_ = std::move(binding);
    target_.store(target, std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  rebound_.notify_all();
}

bool BindingCell::wait_for_rebind(std::uint64_t generation,
                                  std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(mu_);
  return rebound_.wait_until(lock, deadline, [&] { return generation_.load() != generation; });
}

void BindingCell::release(const void* target) {
  std::vector<std::shared_ptr<void>> dropped;  // destroyed after the lock is released
  {
    std::lock_guard lock(mu_);
    if (target == target_.load(std::memory_order_relaxed) || target == instance_) return;
    for (auto it = owners_.begin(); it != owners_.end();) {
      if (it->target == target || it->instance == target) {
        dropped.push_back(std::move(it->owner));
        it = owners_.erase(it);
      } else {
        ++it;
      }
    }
  }
}

Binding BindingCell::binding() const {
  std::lock_guard lock(mu_);
  return binding_;
}

}  // namespace hatch

#include "hatch/internal/binding_cell.hpp"

#include <utility>

namespace hatch {

BindingCell::BindingCell(std::string component, std::string_view interface_name)
    : component_(std::move(component)), interface_name_(interface_name) {}

void BindingCell::bind(std::shared_ptr<void> owner, void* target, Binding binding) {
  {
    std::lock_guard lock(mu_);
    owners_.push_back(std::move(owner));
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

Binding BindingCell::binding() const {
  std::lock_guard lock(mu_);
  return binding_;
}

}  // namespace hatch

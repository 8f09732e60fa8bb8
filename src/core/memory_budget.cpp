#include "hatch/memory_budget.hpp"

#include <malloc.h>

#include <utility>

namespace hatch {

MemoryBudget::Lease::Lease(Lease&& other) noexcept
    : budget_(std::exchange(other.budget_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

MemoryBudget::Lease& MemoryBudget::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    give_back();
    budget_ = std::exchange(other.budget_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

MemoryBudget::Lease::~Lease() {
  give_back();
}

void MemoryBudget::Lease::give_back() noexcept {
  if (budget_ != nullptr) std::exchange(budget_, nullptr)->give_back(std::exchange(bytes_, 0));
}

MemoryBudget::Lease MemoryBudget::reserve(std::size_t bytes) {
  std::size_t left = left_.load();
  do {
    if (bytes > left) return {};
  } while (!left_.compare_exchange_weak(left, left - bytes));
  if (bytes >= kTrimBytes) large_since_trim_.store(true);
  return {this, bytes};
}

void MemoryBudget::give_back(std::size_t bytes) noexcept {
  const bool unused = left_.fetch_add(bytes) + bytes == total_;
  // Read first: a host serving one call at a time empties its budget on every call, and a
  // read-modify-write there would cost every call a contended cache line.
  if (unused && large_since_trim_.load(std::memory_order_relaxed) &&
      large_since_trim_.exchange(false)) {
    malloc_trim(0);
  }
}

}  // namespace hatch

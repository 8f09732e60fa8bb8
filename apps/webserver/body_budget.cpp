#include "body_budget.hpp"

#include <malloc.h>

#include <utility>

namespace hatch::web {

BodyBudget::Lease::Lease(Lease&& other) noexcept
    : budget_(std::exchange(other.budget_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

BodyBudget::Lease& BodyBudget::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    give_back();
    budget_ = std::exchange(other.budget_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

BodyBudget::Lease::~Lease() {
  give_back();
}

void BodyBudget::Lease::give_back() noexcept {
  if (budget_ != nullptr) std::exchange(budget_, nullptr)->give_back(std::exchange(bytes_, 0));
}

BodyBudget::Lease BodyBudget::reserve(std::size_t bytes) {
  std::size_t left = left_.load();
  do {
    if (bytes > left) return {};
  } while (!left_.compare_exchange_weak(left, left - bytes));
  if (bytes >= kTrimBytes) large_since_trim_.store(true);
  return {this, bytes};
}

void BodyBudget::give_back(std::size_t bytes) noexcept {
  const bool unused = left_.fetch_add(bytes) + bytes == total_;
  if (unused && large_since_trim_.exchange(false)) malloc_trim(0);
}

}  // namespace hatch::web

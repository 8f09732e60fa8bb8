// MemoryBudget: the bytes that requests in flight may hold at once, across all connections. A
// request reserves what it will need before it takes it, and holds the Lease until it has been
// answered, so requests in memory never exceed the budget, however many peers send them. A node
// bounds decoded call arguments with one (WireLimits::max_inflight_request_bytes); the web
// front end bounds request bodies with another.
//
//   MemoryBudget budget(64 << 20);
//   if (MemoryBudget::Lease lease = budget.reserve(length)) { /* read and handle the body */ }
//   else { /* refuse: the call did not run */ }
//
// Memory: the process keeps freed memory in its heap (hatch::keep_freed_memory), so a flood of
// large requests would leave the heap at its peak for good. When the last lease is given back
// and a lease of at least kTrimBytes was held since the budget was last unused, the heap's free
// pages go back to the kernel (malloc_trim). Steady traffic that always has a request in flight
// keeps its memory, which the budget bounds.
//
// Thread safety: every member may be called from any thread; a Lease belongs to one thread.
#pragma once

#include <atomic>
#include <cstddef>

namespace hatch {

class MemoryBudget {
 public:
  // Leases of at least this size make the heap trimmed once the budget is unused again.
  static constexpr std::size_t kTrimBytes = 1 << 20;

  // Bytes reserved from a budget, given back when destroyed. An empty Lease (false) holds none.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    ~Lease();

    explicit operator bool() const noexcept { return budget_ != nullptr; }

   private:
    friend class MemoryBudget;
    Lease(MemoryBudget* budget, std::size_t bytes) : budget_(budget), bytes_(bytes) {}
    void give_back() noexcept;

    MemoryBudget* budget_ = nullptr;  // not owned; outlives the lease
    std::size_t bytes_ = 0;
  };

  explicit MemoryBudget(std::size_t bytes) : total_(bytes), left_(bytes) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  // Reserves `bytes`, or returns an empty Lease when fewer are left. The budget must outlive
  // the lease.
  [[nodiscard]] Lease reserve(std::size_t bytes);

  std::size_t total() const noexcept { return total_; }
  // Bytes not reserved now; a snapshot.
  std::size_t left() const noexcept { return left_.load(std::memory_order_relaxed); }

 private:
  void give_back(std::size_t bytes) noexcept;

  const std::size_t total_;
  std::atomic<std::size_t> left_;
  std::atomic<bool> large_since_trim_{false};
};

}  // namespace hatch

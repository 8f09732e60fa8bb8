// BodyBudget: the request body bytes the Frontend holds at once, across all its connections. A
// request reserves its whole body before reading a byte of it and holds the Lease until it has
// been answered, so the bodies in memory never exceed the budget, however many clients upload.
//
//   BodyBudget budget(64 << 20);
//   if (BodyBudget::Lease lease = budget.reserve(length)) { /* read and handle the body */ }
//   else { /* answer 503 */ }
//
// Memory: the process keeps freed memory in its heap (hatch::keep_freed_memory), so a flood of
// large bodies would leave the heap at its peak for good. When the last lease is given back and
// a body of at least kTrimBytes was held since the budget was last unused, the heap's free pages
// go back to the kernel (malloc_trim). Steady traffic that always has a body in flight keeps its
// memory, which the budget bounds.
//
// Thread safety: every member may be called from any thread; a Lease belongs to one thread.
#pragma once

#include <atomic>
#include <cstddef>

namespace hatch::web {

class BodyBudget {
 public:
  // Bodies of at least this size make the heap trimmed once the budget is unused again.
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
    friend class BodyBudget;
    Lease(BodyBudget* budget, std::size_t bytes) : budget_(budget), bytes_(bytes) {}
    void give_back() noexcept;

    BodyBudget* budget_ = nullptr;  // not owned; outlives the lease
    std::size_t bytes_ = 0;
  };

  explicit BodyBudget(std::size_t bytes) : total_(bytes), left_(bytes) {}
  BodyBudget(const BodyBudget&) = delete;
  BodyBudget& operator=(const BodyBudget&) = delete;

  // Reserves `bytes`, or returns an empty Lease when fewer are left. The budget must outlive
  // the lease.
  [[nodiscard]] Lease reserve(std::size_t bytes);

 private:
  void give_back(std::size_t bytes) noexcept;

  const std::size_t total_;
  std::atomic<std::size_t> left_;
  std::atomic<bool> large_since_trim_{false};
};

}  // namespace hatch::web

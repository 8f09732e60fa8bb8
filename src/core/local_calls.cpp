#include "hatch/internal/local_calls.hpp"

#include <new>

#include "core/metrics.hpp"
#include "hatch/error.hpp"

namespace hatch::internal {
namespace {

StatusCode status_of(const std::exception_ptr& error) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const RemoteError& e) {
    return e.code();
  } catch (...) {
    return StatusCode::application_error;
  }
}

}  // namespace

struct LocalCalls::Seen {
  std::string caller;
  Metrics::Series* series;
};

LocalCalls::LocalCalls(std::shared_ptr<Metrics> metrics, std::string callee, std::size_t methods)
    : metrics_(std::move(metrics)),
      on_(&metrics_->counts_local_calls()),
      callee_(std::move(callee)),
      methods_(methods),
      seen_(std::make_unique<std::atomic<const Seen*>[]>(methods * kCallers)) {}

LocalCalls::~LocalCalls() = default;

void LocalCalls::returned(std::uint32_t method, std::string_view name, std::string_view caller,
                          std::chrono::nanoseconds took) noexcept {
  count(method, name, caller, took, StatusCode::ok);
}

void LocalCalls::threw(std::uint32_t method, std::string_view name, std::string_view caller,
                       std::chrono::nanoseconds took, std::exception_ptr error) noexcept {
  count(method, name, caller, took, status_of(error));
}

void LocalCalls::count(std::uint32_t method, std::string_view name, std::string_view caller,
                       std::chrono::nanoseconds took, StatusCode status) noexcept {
  Metrics::Call call;
  call.caller = caller;
  call.callee = callee_;
  call.method = name;
  call.remote = false;
  call.status = status;
  call.took = took;
  try {
    Metrics::Series* series = nullptr;
    std::atomic<const Seen*>* slots = method < methods_ ? &seen_[method * kCallers] : nullptr;
    for (std::size_t i = 0; slots != nullptr && i < kCallers; ++i) {
      const Seen* seen = slots[i].load(std::memory_order_acquire);
      if (seen == nullptr) break;
      if (seen->caller == caller) {
        series = seen->series;
        break;
      }
    }
    if (series == nullptr) {
      series = &metrics_->series(call);
      std::lock_guard lock(mu_);
      for (std::size_t i = 0; slots != nullptr && i < kCallers; ++i) {
        const Seen* seen = slots[i].load(std::memory_order_relaxed);
        if (seen != nullptr && seen->caller == caller) break;
        if (seen == nullptr) {
          kept_.push_back(std::make_unique<Seen>(Seen{std::string(caller), series}));
          slots[i].store(kept_.back().get(), std::memory_order_release);
          break;
        }
      }
    }
    metrics_->call(*series, call);
  } catch (const std::bad_alloc&) {
    // A count lost for want of memory must not fail the call it counted.
  }
}

}  // namespace hatch::internal

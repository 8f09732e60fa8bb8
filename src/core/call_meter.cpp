#include "hatch/internal/call_meter.hpp"

#include <new>

namespace hatch::internal {
namespace {

std::string_view& this_thread_component() noexcept {
  thread_local std::string_view component;
  return component;
}

// The innermost MeteredCall measuring on this thread, or null.
const MeteredCall*& this_thread_metered() noexcept {
  thread_local const MeteredCall* innermost = nullptr;
  return innermost;
}

}  // namespace

void CallMeter::record(std::string_view caller, std::string_view callee,
                       std::chrono::nanoseconds took, bool failed) {
  const std::pair<std::string_view, std::string_view> key(caller, callee);
  std::shared_ptr<EntryObserver> entry;
  {
    std::lock_guard lock(mu_);
    auto it = edges_.find(key);
    if (it == edges_.end()) {
      it = edges_.emplace(Key(std::string(caller), std::string(callee)), Totals{}).first;
    }
    ++it->second.calls;
    it->second.ns += took.count();
    if (entry_ && (entry_component_.empty() ? caller.empty() : callee == entry_component_)) {
      entry = entry_;
    }
  }
  if (entry) entry->entry_call(took, failed);
}

void CallMeter::set_entry(std::shared_ptr<EntryObserver> observer, std::string component) {
  std::lock_guard lock(mu_);
  entry_ = std::move(observer);
  entry_component_ = std::move(component);
}

std::vector<CallEdge> CallMeter::take() {
  std::map<Key, Totals, KeyLess> taken;
  {
    std::lock_guard lock(mu_);
    taken.swap(edges_);
  }
  std::vector<CallEdge> edges;
  edges.reserve(taken.size());
  for (auto& [key, totals] : taken) {
    edges.push_back({key.first, key.second, totals.calls, static_cast<double>(totals.ns) / 1e6});
  }
  return edges;
}

std::string_view current_component() noexcept {
  return this_thread_component();
}

std::string_view calling_component(std::string_view callee) noexcept {
  const MeteredCall* metered = this_thread_metered();
  const std::string_view current = this_thread_component();
  if (metered != nullptr && current == callee && *metered->measuring_.callee == callee) {
    return metered->measuring_.caller;
  }
  return current;
}

CallerScope::CallerScope(std::string_view component) noexcept
    : previous_(std::exchange(this_thread_component(), component)) {}

CallerScope::~CallerScope() {
  this_thread_component() = previous_;
}

void MeteredCall::begin(CallMeter* meter, const std::string& callee) noexcept {
  meter_ = meter;
  const std::string_view caller = std::exchange(this_thread_component(), callee);
  const MeteredCall* outer = std::exchange(this_thread_metered(), this);
  new (&measuring_) Measuring{&callee, caller, outer, std::uncaught_exceptions(),
                              std::chrono::steady_clock::now()};
}

void MeteredCall::end() noexcept {
  const Measuring& m = measuring_;
  const auto took = std::chrono::steady_clock::now() - m.start;
  this_thread_component() = m.caller;
  this_thread_metered() = m.outer;
  try {
    meter_->record(m.caller, *m.callee, took, std::uncaught_exceptions() > m.exceptions);
  } catch (const std::bad_alloc&) {
    // A measurement lost for want of memory must not fail the call it measured.
  }
}

}  // namespace hatch::internal

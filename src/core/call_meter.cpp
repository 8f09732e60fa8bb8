#include "hatch/internal/call_meter.hpp"

namespace hatch::internal {
namespace {

std::string_view& this_thread_component() noexcept {
  thread_local std::string_view component;
  return component;
}

}  // namespace

void CallMeter::record(std::string_view caller, std::string_view callee,
                       std::chrono::nanoseconds took) {
  const std::pair<std::string_view, std::string_view> key(caller, callee);
  std::lock_guard lock(mu_);
  auto it = edges_.find(key);
  if (it == edges_.end()) {
    it = edges_.emplace(Key(std::string(caller), std::string(callee)), Totals{}).first;
  }
  ++it->second.calls;
  it->second.ns += took.count();
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

CallerScope::CallerScope(std::string_view component) noexcept
    : previous_(std::exchange(this_thread_component(), component)) {}

CallerScope::~CallerScope() {
  this_thread_component() = previous_;
}

void MeteredCall::begin(CallMeter* meter, const std::string& callee) noexcept {
  meter_ = meter;
  callee_ = &callee;
  caller_ = std::exchange(this_thread_component(), callee);
  start_ = std::chrono::steady_clock::now();
}

void MeteredCall::end() noexcept {
  const auto took = std::chrono::steady_clock::now() - start_;
  this_thread_component() = caller_;
  try {
    meter_->record(caller_, *callee_, took);
  } catch (const std::bad_alloc&) {
    // A measurement lost for want of memory must not fail the call it measured.
  }
}

}  // namespace hatch::internal

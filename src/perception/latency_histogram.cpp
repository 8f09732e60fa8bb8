#include "perception/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace hatch {
namespace {

constexpr std::uint64_t kLargestNs = std::uint64_t{1} << 62;

std::uint64_t to_ns(double ms) {
  if (!(ms > 0)) return 0;  // also NaN
  const double ns = ms * 1e6;
  if (ns >= static_cast<double>(kLargestNs)) return kLargestNs;
  return static_cast<std::uint64_t>(std::llround(ns));
}

void raise_to(std::atomic<std::uint64_t>& target, std::uint64_t value) {
  std::uint64_t seen = target.load(std::memory_order_relaxed);
  while (seen < value && !target.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

}  // namespace

LatencyHistogram::LatencyHistogram(const LatencyHistogram& other) {
  merge(other);
}

LatencyHistogram& LatencyHistogram::operator=(const LatencyHistogram& other) {
  if (this != &other) {
    clear();
    merge(other);
  }
  return *this;
}

std::size_t LatencyHistogram::bucket_of(std::uint64_t ns) {
  if (ns < kLinearBuckets) return static_cast<std::size_t>(ns);
  const std::size_t exponent = static_cast<std::size_t>(std::bit_width(ns)) - 1;  // >= 7
  if (exponent >= kMaxExponent) return kBuckets - 1;
  const std::size_t sub = static_cast<std::size_t>(ns >> (exponent - 6)) - kSubBuckets;
  return kLinearBuckets + (exponent - 7) * kSubBuckets + sub;
}

double LatencyHistogram::bucket_midpoint_ns(std::size_t bucket) {
  if (bucket < kLinearBuckets) return static_cast<double>(bucket);
  const std::size_t exponent = 7 + (bucket - kLinearBuckets) / kSubBuckets;
  const std::size_t sub = (bucket - kLinearBuckets) % kSubBuckets;
  const double width = std::ldexp(1.0, static_cast<int>(exponent) - 6);
  return static_cast<double>(kSubBuckets + sub) * width + width / 2;
}

void LatencyHistogram::record(double ms) {
  const std::uint64_t ns = to_ns(ms);
  buckets_[bucket_of(ns)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(ns, std::memory_order_relaxed);
  raise_to(max_ns_, ns);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i) {
    const std::uint64_t n = other.buckets_[i].load(std::memory_order_relaxed);
    if (n != 0) buckets_[i].fetch_add(n, std::memory_order_relaxed);
  }
  count_.fetch_add(other.count_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  sum_ns_.fetch_add(other.sum_ns_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  raise_to(max_ns_, other.max_ns_.load(std::memory_order_relaxed));
}

LatencyHistogram LatencyHistogram::take() {
  LatencyHistogram out;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    out.buckets_[i].store(buckets_[i].exchange(0, std::memory_order_relaxed),
                          std::memory_order_relaxed);
  }
  out.count_.store(count_.exchange(0, std::memory_order_relaxed), std::memory_order_relaxed);
  out.sum_ns_.store(sum_ns_.exchange(0, std::memory_order_relaxed), std::memory_order_relaxed);
  out.max_ns_.store(max_ns_.exchange(0, std::memory_order_relaxed), std::memory_order_relaxed);
  return out;
}

void LatencyHistogram::clear() {
  for (auto& bucket : buckets_) bucket.store(0, std::memory_order_relaxed);
  count_.store(0, std::memory_order_relaxed);
  sum_ns_.store(0, std::memory_order_relaxed);
  max_ns_.store(0, std::memory_order_relaxed);
}

std::uint64_t LatencyHistogram::count() const {
  return count_.load(std::memory_order_relaxed);
}

double LatencyHistogram::mean_ms() const {
  const std::uint64_t n = count();
  if (n == 0) return 0;
  return static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / static_cast<double>(n) /
         1e6;
}

double LatencyHistogram::max_ms() const {
  return static_cast<double>(max_ns_.load(std::memory_order_relaxed)) / 1e6;
}

double LatencyHistogram::percentile_ms(double q) const {
  std::uint64_t total = 0;
  for (const auto& bucket : buckets_) total += bucket.load(std::memory_order_relaxed);
  if (total == 0) return 0;
  const double clamped = std::min(1.0, std::max(0.0, q));
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(clamped * static_cast<double>(total))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i].load(std::memory_order_relaxed);
    // The midpoint may lie above every value in the bucket; the largest value bounds it.
    if (seen >= rank) return std::min(bucket_midpoint_ns(i) / 1e6, max_ms());
  }
  return max_ms();
}

LatencySummary LatencyHistogram::summary() const {
  LatencySummary out;
  out.count = count();
  out.mean_ms = mean_ms();
  out.p50_ms = percentile_ms(0.50);
  out.p95_ms = percentile_ms(0.95);
  out.p99_ms = percentile_ms(0.99);
  return out;
}

}  // namespace hatch

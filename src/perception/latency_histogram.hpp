// A latency histogram with log-linear buckets: bounded memory (about 22 KB) whatever the number
// of values, a relative error of at most 1/128 on any percentile, and lock-free recording from
// any number of threads.
//
//   LatencyHistogram h;
//   h.record(0.42);                   // milliseconds, from any thread
//   LatencySummary s = h.summary();   // count, mean, p50, p95, p99
//   LatencyHistogram window = h.take();  // this window's values; h starts the next one empty
//
// Values are kept in nanoseconds. Below 128 ns every nanosecond has its own bucket; above, each
// power of two is split into 64 equal buckets, so a bucket is at most 1/64 of its lower bound
// wide and a percentile reports its bucket's midpoint. Values above about 39 hours land in the
// last bucket. The mean is exact (kept as a sum), not derived from the buckets.
//
// Thread safety: record() may run concurrently with everything. A summary, merge or take that
// runs while values are recorded sees each value either wholly or not at all in its buckets; its
// count and sum may differ from the buckets by the values in flight.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "perception/window.hpp"

namespace hatch {

class LatencyHistogram {
 public:
  LatencyHistogram() = default;
  LatencyHistogram(const LatencyHistogram& other);
  LatencyHistogram& operator=(const LatencyHistogram& other);

  // Negative and non-finite values count as zero.
  void record(double ms);
  // Adds every value of `other`.
  void merge(const LatencyHistogram& other);
  // Moves the values out: the result holds them and this histogram is empty.
  LatencyHistogram take();
  void clear();

  std::uint64_t count() const;
  double mean_ms() const;
  double max_ms() const;
  // The value below which a fraction `q` (0..1) of the values lie; 0 when empty.
  double percentile_ms(double q) const;
  LatencySummary summary() const;

  static constexpr std::size_t kLinearBuckets = 128;  // one per nanosecond below this
  static constexpr std::size_t kSubBuckets = 64;      // per power of two above it
  static constexpr std::size_t kMaxExponent = 47;     // 2^47 ns, about 39 hours
  static constexpr std::size_t kBuckets = kLinearBuckets + (kMaxExponent - 7) * kSubBuckets;

  static std::size_t bucket_of(std::uint64_t ns);
  static double bucket_midpoint_ns(std::size_t bucket);

 private:
  std::array<std::atomic<std::uint64_t>, kBuckets> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
  std::atomic<std::uint64_t> max_ns_{0};
};

}  // namespace hatch

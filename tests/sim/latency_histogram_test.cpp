#include "perception/latency_histogram.hpp"

#include <cmath>
#include <thread>

#include <gtest/gtest.h>

namespace hatch {
namespace {

TEST(LatencyHistogram, PercentilesOfKnownDataWithinTheBucketError) {
  LatencyHistogram h;
  for (int i = 1; i <= 1000; ++i) h.record(i * 0.01);  // 0.01 .. 10 ms
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_NEAR(h.mean_ms(), 5.005, 1e-9);
  EXPECT_NEAR(h.percentile_ms(0.50), 5.00, 5.00 / 64);
  EXPECT_NEAR(h.percentile_ms(0.95), 9.50, 9.50 / 64);
  EXPECT_NEAR(h.percentile_ms(0.99), 9.90, 9.90 / 64);
  EXPECT_NEAR(h.percentile_ms(1.0), 10.0, 10.0 / 64);
  EXPECT_DOUBLE_EQ(h.max_ms(), 10.0);
  const LatencySummary s = h.summary();
  EXPECT_EQ(s.count, 1000u);
  EXPECT_LE(s.p50_ms, s.p95_ms);
  EXPECT_LE(s.p95_ms, s.p99_ms);
}

TEST(LatencyHistogram, SmallValuesAreExactAndBucketsAreContiguous) {
  EXPECT_EQ(LatencyHistogram::bucket_of(0), 0u);
  EXPECT_EQ(LatencyHistogram::bucket_of(127), 127u);
  EXPECT_EQ(LatencyHistogram::bucket_of(128), 128u);
  EXPECT_EQ(LatencyHistogram::bucket_of(129), 128u);  // 2 ns wide above 128 ns
  EXPECT_EQ(LatencyHistogram::bucket_of(130), 129u);
  EXPECT_EQ(LatencyHistogram::bucket_of(std::uint64_t{1} << 60), LatencyHistogram::kBuckets - 1);
  std::size_t previous = 0;
  for (std::uint64_t v = 1; v < (1u << 20); v = v * 9 / 8 + 1) {
    const std::size_t b = LatencyHistogram::bucket_of(v);
    EXPECT_GE(b, previous);
    EXPECT_NEAR(LatencyHistogram::bucket_midpoint_ns(b), static_cast<double>(v), v / 64.0 + 1);
    previous = b;
  }
}

TEST(LatencyHistogram, EmptyAndOddValues) {
  LatencyHistogram h;
  EXPECT_EQ(h.percentile_ms(0.5), 0);
  EXPECT_EQ(h.mean_ms(), 0);
  h.record(-1);
  h.record(std::nan(""));
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.percentile_ms(0.99), 0);
}

TEST(LatencyHistogram, MergeAndTake) {
  LatencyHistogram a;
  LatencyHistogram b;
  for (int i = 0; i < 100; ++i) a.record(1);
  for (int i = 0; i < 100; ++i) b.record(3);
  a.merge(b);
  EXPECT_EQ(a.count(), 200u);
  EXPECT_NEAR(a.mean_ms(), 2, 1e-9);
  EXPECT_NEAR(a.percentile_ms(0.25), 1, 1.0 / 64);
  EXPECT_NEAR(a.percentile_ms(0.75), 3, 3.0 / 64);
  const LatencyHistogram window = a.take();
  EXPECT_EQ(window.count(), 200u);
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.percentile_ms(0.5), 0);
  LatencyHistogram copy = window;
  EXPECT_EQ(copy.summary().count, 200u);
}

TEST(LatencyHistogram, RecordsFromManyThreads) {
  LatencyHistogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h] {
      for (int i = 0; i < 10000; ++i) h.record(0.5);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(h.count(), 40000u);
  EXPECT_NEAR(h.mean_ms(), 0.5, 1e-9);
  EXPECT_NEAR(h.percentile_ms(0.5), 0.5, 0.5 / 64);
}

}  // namespace
}  // namespace hatch

// Comparisons in interleaved rounds. This machine's latency is bimodal (about 5 us for a
// loopback round trip while the vCPUs are awake, about 50 us when they must be woken), so a run
// of one side after a run of the other would compare two moments as much as two transports.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

namespace hatch::bench {

// One side of an interleaved comparison: `calls` runs of `once` make one sample.
struct Side {
  std::string name;
  int calls;
  std::function<void()> once;
};

// Each iteration is one round of every side, the side going first rotating; the figure for each
// peer is the median of the rounds' ratios of the p50s, sides[0] / peer, with their range.
// Counters: <name>_p50_us (the median of its rounds), <name>_switches_per_call (this process's
// threads: each sleep and wake-up is one), per peer over_<name>_median, _min and _max, and
// pairs. Each pair (a, b) of `also` adds <a>_over_<b>_median, _min and _max, its sides' ratio.
void interleaved(benchmark::State& state, const std::vector<Side>& sides,
                 const std::vector<std::pair<std::size_t, std::size_t>>& also = {});

double median(std::vector<double> v);

// Sets the counters <prefix>_median, _min and _max of `ratios`, which is not empty.
void report_ratios(benchmark::State& state, const std::string& prefix,
                   const std::vector<double>& ratios);

// The context switches of every thread of this process so far, voluntary or not: a thread
// that sleeps and is woken costs one.
std::uint64_t process_switches();

}  // namespace hatch::bench

// Searching a design space with the model: the exhaustive optimum, for spaces small enough to
// evaluate every design, and for spaces that are not, two yardsticks: the best of N uniformly
// random designs, and the best of coordinate descents from random starts (a strong heuristic).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "design/design_space.hpp"
#include "sim/latency_model.hpp"

namespace hatch::sim {

struct SearchResult {
  Choice choice;          // the best design found; ties go to the first in mixed-radix order
  double latency_ms = 0;  // its expected latency
  std::uint64_t evaluated = 0;
  double seconds = 0;    // wall-clock time of the search
  unsigned threads = 1;  // it ran on
  // What one evaluation cost one thread: seconds * threads / evaluated, in nanoseconds.
  double ns_per_design() const {
    return evaluated > 0 ? seconds * threads * 1e9 / static_cast<double>(evaluated) : 0;
  }
};

// Called now and then from the calling thread with the designs evaluated so far.
using SearchProgress = std::function<void(std::uint64_t done, std::uint64_t total)>;

// The number of designs, or nothing when it exceeds 2^63.
std::optional<std::uint64_t> design_count(const DesignSpace& space);

// Evaluates every design on `threads` threads (0: one per core). Throws UsageError when the
// space is too large to count in 64 bits.
SearchResult exhaustive_optimum(const LatencyModel& model, const DesignSpace& space,
                                unsigned threads = 0, const SearchProgress& progress = {});

// The best of `samples` designs drawn uniformly (DesignSpace::sample) with the given seed.
SearchResult best_of_random(const LatencyModel& model, const DesignSpace& space,
                            std::size_t samples, std::uint64_t seed);

// The best of coordinate descents: from `first` (the all-local design when not given), then
// from designs drawn uniformly with the given seed, each component in turn takes its best option
// with the others held, until a pass over every component improves nothing. Descents start while
// fewer than `max_evaluations` designs have been evaluated (the one running then finishes its
// pass).
SearchResult best_of_descents(const LatencyModel& model, const DesignSpace& space,
                              std::uint64_t max_evaluations, std::uint64_t seed,
                              const std::optional<Choice>& first = std::nullopt);

}  // namespace hatch::sim

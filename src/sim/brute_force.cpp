#include "sim/brute_force.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <limits>
#include <random>
#include <thread>

#include "hatch/error.hpp"

namespace hatch::sim {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A result that any design beats.
SearchResult nothing_found() {
  SearchResult r;
  r.latency_ms = std::numeric_limits<double>::infinity();
  return r;
}

// Keeps `choice` in `best` if it is faster.
void keep_if_faster(SearchResult& best, const Choice& choice, double latency) {
  if (latency < best.latency_ms) {
    best.latency_ms = latency;
    best.choice = choice;
  }
}

// Designs [first, first + count) in mixed-radix order, component 0 moving fastest.
SearchResult search_range(const LatencyModel& model, const DesignSpace& space, std::uint64_t first,
                          std::uint64_t count, std::atomic<std::uint64_t>& done) {
  const std::size_t n = space.component_count();
  std::vector<OptionIndex> radix(n);
  Choice choice(n);
  std::uint64_t rest = first;
  for (std::size_t c = 0; c < n; ++c) {
    radix[c] = space.option_count(c);
    choice[c] = rest % radix[c];
    rest /= radix[c];
  }
  SearchResult best = nothing_found();
  constexpr std::uint64_t kReportEvery = 1 << 16;
  for (std::uint64_t i = 0; i < count; ++i) {
    keep_if_faster(best, choice, model.latency_ms(choice));
    if ((i + 1) % kReportEvery == 0) done.fetch_add(kReportEvery, std::memory_order_relaxed);
    for (std::size_t c = 0; c < n && ++choice[c] == radix[c]; ++c) choice[c] = 0;
  }
  best.evaluated = count;
  return best;
}

}  // namespace

std::optional<std::uint64_t> design_count(const DesignSpace& space) {
  std::uint64_t total = 1;
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 63;
  for (std::size_t c = 0; c < space.component_count(); ++c) {
    const std::uint64_t options = space.option_count(c);
    if (total > kLimit / options) return std::nullopt;
    total *= options;
  }
  return total;
}

SearchResult exhaustive_optimum(const LatencyModel& model, const DesignSpace& space,
                                unsigned threads, const SearchProgress& progress) {
  const std::optional<std::uint64_t> total = design_count(space);
  if (!total) {
    throw UsageError("brute force: the space of " + space.size() + " designs is too large");
  }
  const Clock::time_point start = Clock::now();
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::uint64_t>(threads, *total));
  std::atomic<std::uint64_t> done{0};
  std::vector<std::future<SearchResult>> parts;
  std::uint64_t first = 0;
  for (unsigned t = 0; t < threads; ++t) {
    const std::uint64_t count = *total / threads + (t < *total % threads ? 1 : 0);
    parts.push_back(std::async(std::launch::async, search_range, std::cref(model), std::cref(space),
                               first, count, std::ref(done)));
    first += count;
  }
  for (auto& part : parts) {
    while (part.wait_for(std::chrono::milliseconds(200)) != std::future_status::ready) {
      if (progress) progress(done.load(std::memory_order_relaxed), *total);
    }
  }
  SearchResult best = nothing_found();
  for (auto& part : parts) {
    SearchResult r = part.get();
    if (r.latency_ms < best.latency_ms) best = std::move(r);
  }
  best.evaluated = *total;
  best.seconds = seconds_since(start);
  best.threads = threads;
  if (progress) progress(*total, *total);
  return best;
}

SearchResult best_of_random(const LatencyModel& model, const DesignSpace& space,
                            std::size_t samples, std::uint64_t seed) {
  const Clock::time_point start = Clock::now();
  std::mt19937_64 rng(seed);
  SearchResult best = nothing_found();
  for (std::size_t i = 0; i < samples; ++i) {
    const Choice choice = space.sample(rng);
    keep_if_faster(best, choice, model.latency_ms(choice));
  }
  best.evaluated = samples;
  best.seconds = seconds_since(start);
  return best;
}

SearchResult best_of_descents(const LatencyModel& model, const DesignSpace& space,
                              std::uint64_t max_evaluations, std::uint64_t seed,
                              const std::optional<Choice>& first) {
  const Clock::time_point start = Clock::now();
  std::mt19937_64 rng(seed);
  SearchResult best = nothing_found();
  std::uint64_t evaluated = 0;
  for (bool initial = true; initial || evaluated < max_evaluations; initial = false) {
    Choice choice =
        !initial ? space.sample(rng) : first.value_or(Choice(space.component_count(), 0));
    double latency = model.latency_ms(choice);
    ++evaluated;
    for (bool improved = true; improved;) {
      improved = false;
      for (std::size_t c = 0; c < space.component_count(); ++c) {
        const OptionIndex held = choice[c];
        OptionIndex best_option = held;
        for (OptionIndex o = 0; o < space.option_count(c); ++o) {
          if (o == held) continue;
          choice[c] = o;
          const double l = model.latency_ms(choice);
          ++evaluated;
          if (l < latency) {
            latency = l;
            best_option = o;
            improved = true;
          }
        }
        choice[c] = best_option;
      }
    }
    keep_if_faster(best, choice, latency);
  }
  best.evaluated = evaluated;
  best.seconds = seconds_since(start);
  return best;
}

}  // namespace hatch::sim

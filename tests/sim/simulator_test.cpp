#include "sim/simulator.hpp"

#include <cmath>
#include <set>

#include <gtest/gtest.h>

#include "hatch/error.hpp"
#include "sim/brute_force.hpp"
#include "sim/random_scenario.hpp"
#include "sim/scenario_toml.hpp"

namespace hatch::sim {
namespace {

Simulator webserver() {
  return Simulator(load_scenario(HATCH_SCENARIO_DIR "/webserver.toml"));
}

TEST(Simulator, AWindowFillsEveryField) {
  const Simulator sim = webserver();
  std::mt19937_64 rng(1);
  const Choice all_local(sim.space().component_count(), 0);
  const Window w = sim.simulate_window(all_local, 2, rng);
  EXPECT_EQ(w.seconds, 2);
  EXPECT_GT(w.throughput_rps, 0);
  EXPECT_GT(w.entry.count, 0u);
  EXPECT_GT(w.entry.mean_ms, 0);
  EXPECT_LE(w.entry.p50_ms, w.entry.p95_ms);
  EXPECT_LE(w.entry.p95_ms, w.entry.p99_ms);
  ASSERT_EQ(w.components.size(), sim.space().component_count());
  EXPECT_EQ(w.components[2].name, "cache");
  EXPECT_GT(w.components[2].calls_per_s, 0);
  EXPECT_GT(w.components[2].latency.mean_ms, 0);
  EXPECT_GT(w.components[2].response_bytes, 0);
  ASSERT_EQ(w.edges.size(), sim.scenario().edges.size());
  EXPECT_EQ(w.edges[0].caller, 0u);
  EXPECT_EQ(w.edges[0].callee, 1u);
  EXPECT_GT(w.edges[0].latency_ms, 0);
  EXPECT_DOUBLE_EQ(w.edges[0].bytes_per_call, 20400);
}

TEST(Simulator, NoiseIsSeededAndShrinksWithLongerWindows) {
  const Simulator sim = webserver();
  const Choice c(sim.space().component_count(), 0);
  std::mt19937_64 a(42);
  std::mt19937_64 b(42);
  EXPECT_EQ(sim.simulate_window(c, 1, a).entry.mean_ms, sim.simulate_window(c, 1, b).entry.mean_ms);
  const double expected = sim.expected_latency_ms(c);
  auto spread = [&](double seconds) {
    std::mt19937_64 rng(7);
    double sum = 0;
    for (int i = 0; i < 200; ++i) {
      const double error = sim.simulate_window(c, seconds, rng).entry.mean_ms / expected - 1;
      sum += error * error;
    }
    return std::sqrt(sum / 200);
  };
  const double short_windows = spread(0.1);
  const double long_windows = spread(10);
  EXPECT_GT(short_windows, 5 * long_windows);  // 100x the calls: about 10x tighter
}

TEST(Simulator, TheShiftChangesTheWorkload) {
  Simulator sim = webserver();
  const Choice c(sim.space().component_count(), 0);
  const double before = sim.expected_latency_ms(c);
  sim.set_shifted(true);
  EXPECT_NE(sim.expected_latency_ms(c), before);
  Simulator unshifted(random_scenario(3));
  EXPECT_THROW(unshifted.set_shifted(true), UsageError);
}

TEST(Simulator, RefusesBadWindows) {
  const Simulator sim = webserver();
  std::mt19937_64 rng(1);
  EXPECT_THROW(sim.simulate_window({0, 0}, 1, rng), UsageError);
  EXPECT_THROW(sim.simulate_window(Choice(6, 0), 0, rng), UsageError);
}

TEST(RandomScenario, IsDeterministicPerSeed) {
  const Scenario a = random_scenario(11);
  const Scenario b = random_scenario(11);
  const Scenario c = random_scenario(12);
  EXPECT_EQ(a.workload.rate, b.workload.rate);
  EXPECT_EQ(a.rtt_ms, b.rtt_ms);
  EXPECT_NE(a.workload.rate, c.workload.rate);
}

TEST(RandomScenario, MeetsTheIssueShape) {
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    const Scenario s = random_scenario(seed);
    const DesignSpace space = s.space();
    EXPECT_GE(s.components.size(), 5u);
    EXPECT_GE(s.hosts.size(), 5u);  // the origin and at least 4 nodes
    EXPECT_GE(space.log10_size(), 6);
    EXPECT_TRUE(s.components[s.entry].pinned);
    std::set<StateKind> kinds;
    for (const ComponentModel& c : s.components) kinds.insert(c.kind);
    EXPECT_GE(kinds.size(), 2u) << s.name;
  }
}

TEST(RandomScenario, AllLocalIsNeverTheBestDesign) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const Simulator sim(random_scenario(seed));
    const Choice all_local(sim.space().component_count(), 0);
    const SearchResult best = best_of_random(sim.model(), sim.space(), 20000, seed);
    EXPECT_LT(best.latency_ms, 0.95 * sim.expected_latency_ms(all_local)) << sim.scenario().name;
  }
}

TEST(RandomScenario, SizesAndShiftsOnRequest) {
  const Scenario big = random_scenario(5, {.components = 8, .nodes = 6, .shift_at = {}});
  EXPECT_EQ(big.components.size(), 8u);
  EXPECT_GE(big.space().log10_size(), 9);
  const Scenario shifted = random_scenario(5, {.shift_at = 40});
  ASSERT_TRUE(shifted.shift);
  EXPECT_EQ(shifted.shift->at_window, 40u);
  EXPECT_NE(shifted.shift->workload.mix, shifted.workload.mix);
  EXPECT_THROW(random_scenario(5, {.components = 2, .nodes = 0, .shift_at = {}}), UsageError);
  EXPECT_THROW(random_scenario(5, {.components = 0, .nodes = 40, .shift_at = {}}), UsageError);
}

}  // namespace
}  // namespace hatch::sim

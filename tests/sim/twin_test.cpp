// The calibrated twin (sim/twin.hpp): fitted from the windows a simulator reports, it predicts
// designs that never ran.
#include "sim/twin.hpp"

#include <cmath>

#include <gtest/gtest.h>

#include "hatch/error.hpp"
#include "sim/simulator.hpp"

namespace hatch::sim {
namespace {

// Three components in a chain over the origin and two nodes, with what the twin assumes (keyed
// reads, no cache, ample memory): what it cannot fit is only the windows' noise.
Scenario chain(double rate = 300) {
  Scenario s;
  s.name = "chain";
  s.hosts = {{"local", 2, 1e6}, {"a", 4, 1e6}, {"b", 4, 1e6}};
  const double rtt[3][3] = {{0, 0.4, 1.5}, {0.4, 0, 0.8}, {1.5, 0.8, 0}};
  for (const auto& row : rtt) s.rtt_ms.insert(s.rtt_ms.end(), row, row + 3);
  s.bandwidth_mb_per_s.assign(9, 1000);
  s.components = {{"front", StateKind::stateless, true, 0.2, 0.2, 0, {}},
                  {"logic", StateKind::stateless, false, 1.5, 1.5, 0, {}},
                  {"store", StateKind::keyed, false, 0.6, 0.6, 0, {}}};
  s.classes = {"all"};
  s.edges = {{0, 1, CallOp::read, true, {2}, 200, 2000, CallWhen::always, 0},
             {1, 2, CallOp::read, true, {3}, 100, 500, CallWhen::always, 0}};
  s.workload = {rate, {1}};
  s.latency_cv = 0.8;
  validate(s);
  return s;
}

// Runs `design` for one window of `seconds` and gives it to the twin.
void run(const Simulator& sim, Twin& twin, const Choice& design, std::mt19937_64& rng) {
  twin.observe(design, sim.simulate_window(design, 5, rng));
}

double error(const Simulator& sim, const Twin& twin, const Choice& design) {
  return std::abs(*twin.predict_ms(design) / sim.expected_latency_ms(design) - 1);
}

TEST(Twin, FittedOnDesignsThatRanItPredictsOnesThatNeverDid) {
  const Simulator sim(chain());
  const DesignSpace& space = sim.space();
  Twin twin(space, 0, {2, 4, 4});
  EXPECT_FALSE(twin.predict_ms(Choice(3, 0)).has_value()) << "nothing is known before a window";
  EXPECT_FALSE(twin.best_design(1000, 1).has_value());
  std::mt19937_64 rng(1);
  // The options: 0 local, 1 on(a), 2 on(b). Each component moves alone from all-local.
  const std::vector<Choice> ran = {{0, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0, 2, 0}, {0, 0, 2}};
  for (int round = 0; round < 3; ++round) {
    for (const Choice& c : ran) run(sim, twin, c, rng);
  }
  // Designs that never ran: both moved, to one node or to two, so that logic calls store
  // across a link no window measured alone.
  const std::vector<Choice> unseen = {{0, 1, 1}, {0, 2, 2}, {0, 1, 2}, {0, 2, 1}};
  for (const Choice& c : unseen) {
    EXPECT_LT(error(sim, twin, c), 0.10) << space.describe(c) << ": twin " << *twin.predict_ms(c)
                                         << " ms, model " << sim.expected_latency_ms(c) << " ms";
  }
  // It ranks them as the model does: the best of them first.
  std::vector<Choice> by_twin = unseen;
  std::vector<Choice> by_model = unseen;
  std::sort(by_twin.begin(), by_twin.end(), [&](const Choice& x, const Choice& y) {
    return *twin.predict_ms(x) < *twin.predict_ms(y);
  });
  std::sort(by_model.begin(), by_model.end(), [&](const Choice& x, const Choice& y) {
    return sim.expected_latency_ms(x) < sim.expected_latency_ms(y);
  });
  EXPECT_EQ(by_twin.front(), by_model.front());
  // Its predicted optimum over the whole space is the model's optimum, or within 10% of it.
  const std::optional<Choice> best = twin.best_design(100'000, 1);
  ASSERT_TRUE(best);
  double optimum = sim.expected_latency_ms({0, 0, 0});
  Choice c(3, 0);
  do optimum = std::min(optimum, sim.expected_latency_ms(c));
  while (space.next(c));
  EXPECT_LE(sim.expected_latency_ms(*best), 1.10 * optimum) << space.describe(*best);
}

TEST(Twin, WithoutAWindowAcrossALinkItCannotKnowThatLink) {
  // The same windows but only all-local ones: links are a prior, and a remote design is
  // predicted far off. The fit, not the prior, made the test above pass.
  const Simulator sim(chain());
  Twin twin(sim.space(), 0, {2, 4, 4});
  std::mt19937_64 rng(1);
  for (int i = 0; i < 15; ++i) run(sim, twin, {0, 0, 0}, rng);
  EXPECT_LT(error(sim, twin, {0, 0, 0}), 0.10);
  EXPECT_GT(error(sim, twin, {0, 2, 2}), 0.10);
}

TEST(Twin, AfterForgettingItFitsTheNewWorkloadAlone) {
  // The load doubles: a twin that keeps the old windows averages the two workloads' rates.
  const Simulator before(chain(150));
  const Simulator after(chain(300));
  std::mt19937_64 rng(1);
  const Choice local = {0, 0, 0};
  Twin forgetting(before.space(), 0, {2, 4, 4});
  Twin keeping(before.space(), 0, {2, 4, 4});
  for (int i = 0; i < 10; ++i) {
    const Window w = before.simulate_window(local, 5, rng);
    forgetting.observe(local, w);
    keeping.observe(local, w);
  }
  forgetting.forget();
  for (int i = 0; i < 3; ++i) {
    const Window w = after.simulate_window(local, 5, rng);
    forgetting.observe(local, w);
    keeping.observe(local, w);
  }
  EXPECT_LT(error(after, forgetting, local), 0.15);
  EXPECT_GT(error(after, keeping, local), 0.15);
}

TEST(Twin, RefusesWhatDoesNotDescribeItsSpace) {
  const Simulator sim(chain());
  EXPECT_THROW(Twin(sim.space(), 0, {2, 4}), UsageError);
  EXPECT_THROW(Twin(sim.space(), 3, {2, 4, 4}), UsageError);
  EXPECT_THROW(Twin(sim.space(), 0, {2, 0, 4}), UsageError);
  Twin twin(sim.space(), 0, {2, 4, 4});
  std::mt19937_64 rng(1);
  Window w = sim.simulate_window({0, 0, 0}, 1, rng);
  w.components.pop_back();
  EXPECT_THROW(twin.observe({0, 0, 0}, w), UsageError);
  w = sim.simulate_window({0, 0, 0}, 1, rng);
  w.edges.front().callee = 7;
  EXPECT_THROW(twin.observe({0, 0, 0}, w), UsageError);
  EXPECT_THROW(twin.observe({0, 0, 9}, sim.simulate_window({0, 0, 0}, 1, rng)), UsageError);
}

}  // namespace
}  // namespace hatch::sim

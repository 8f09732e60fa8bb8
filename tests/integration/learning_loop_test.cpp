// The live learning loop on a real node process: it moves the program to each design it runs,
// measures the window through perception (the entry probe and the calls between components)
// and lets the learner go on from there.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "autopilot/learning_loop.hpp"
#include "cluster_test.hpp"
#include "hatch/hatch.hpp"
#include "node_process.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

class LearningLoopTest : public ClusterTest {};

// The option of `component` in `space` that is `placement`.
OptionIndex option_of(const DesignSpace& space, std::size_t component, const Placement& p) {
  const std::optional<OptionIndex> option = space.find(component, p);
  if (!option) ADD_FAILURE() << "no option " << p.to_string();
  return option.value_or(0);
}

TEST_F(LearningLoopTest, EachWindowRunsItsDesignAndMeasuresTheCallsOfEveryProcess) {
  NodeProcess a(secret_.path());
  Origin origin(Catalog::program(), options());
  Ref<LedgerClient> client = origin.get<LedgerClient>("ledger-client");
  Ref<Ledger> ledger = origin.get<Ledger>("ledger");
  // The ledger's reads lack shard keys, so it is offered the placements of a whole state.
  const DesignSpace space({{"entry", StateKind::stateless, true},
                           {"ledger-client", StateKind::stateless},
                           {"ledger", StateKind::stateful}},
                          {a.address()});

  // The workload: one client thread, its latencies the entry point's.
  LatencyHistogram entry;
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> sent{0};
  std::atomic<int> failed{0};
  std::thread load([&] {
    while (!stop) {
      const auto start = std::chrono::steady_clock::now();
      try {
        client->add_via("k", 1);
        ++sent;
      } catch (const std::exception&) {
        ++failed;
      }
      entry.record(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
    }
  });

  LearningLoopOptions loop_options;
  loop_options.entry_component = "entry";
  loop_options.twin = true;
  loop_options.learner.window.initial_seconds = 0.2;
  loop_options.learner.window.min_seconds = 0.1;
  loop_options.learner.window.max_seconds = 0.3;
  LearningLoop loop(
      origin, space,
      [&] {
        return EntrySample{entry.take(), 0};
      },
      loop_options);

  // A static design: the ledger on the node, called from the client on the origin.
  Choice on_node(3, 0);
  on_node[2] = option_of(space, 2, Placement::on(a.address()));
  const LiveWindow& measured = loop.measure(on_node, 0.2);
  EXPECT_FALSE(measured.learning);
  EXPECT_EQ(measured.design, on_node);
  EXPECT_EQ(loop.running(), on_node);
  EXPECT_GT(measured.transition_ms, 0);
  EXPECT_TRUE(measured.failures.empty());
  EXPECT_EQ(ledger->where(), a.address());
  EXPECT_GT(measured.window.entry.count, 0u);
  EXPECT_GT(measured.window.throughput_rps, 0);
  // Both edges were seen: the entry's calls (timed on the origin) and the client's.
  ASSERT_EQ(measured.window.components.size(), 3u);
  EXPECT_GT(measured.window.components[1].calls_per_s, 0);
  EXPECT_GT(measured.window.components[2].calls_per_s, 0);
  EXPECT_GT(measured.window.components[2].latency.mean_ms, 0);
  bool entry_edge = false, client_edge = false;
  for (const EdgeWindow& e : measured.window.edges) {
    entry_edge |= e.caller == 0 && e.callee == 1 && e.calls_per_s > 0;
    client_edge |= e.caller == 1 && e.callee == 2 && e.calls_per_s > 0;
  }
  EXPECT_TRUE(entry_edge);
  EXPECT_TRUE(client_edge);
  EXPECT_FALSE(measured.twin_ms) << "a static window is no learning window: the twin has none";

  // Learning windows: each one runs the design the learner proposed, wherever that is. From
  // the second, the twin fitted on those before it predicts each.
  for (std::size_t i = 0; i < 6; ++i) {
    const LiveWindow& w = loop.step();
    EXPECT_EQ(w.twin_ms.has_value(), i > 0) << "window " << w.index;
    EXPECT_GT(w.twin_ms.value_or(1), 0);
    EXPECT_TRUE(w.learning);
    EXPECT_EQ(w.index, i + 2);
    EXPECT_TRUE(w.failures.empty()) << w.failures.front();
    EXPECT_EQ(w.design, loop.running());
    EXPECT_GE(w.reward, 0);
    EXPECT_LE(w.reward, 1);
    space.check(w.best);
    if (w.design[2] == 0) {
      EXPECT_EQ(ledger->where(), "origin");
    } else if (w.design[2] == 1) {
      EXPECT_EQ(ledger->where(), a.address());
    }
  }
  EXPECT_EQ(loop.windows(), 7u);

  stop = true;
  load.join();
  EXPECT_EQ(failed.load(), 0);
  // Every acknowledged add reached the ledger, through every move.
  EXPECT_EQ(ledger->get("k"), sent.load());
}

}  // namespace
}  // namespace hatch::test

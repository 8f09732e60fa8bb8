#include "sim/latency_model.hpp"

#include <cmath>

#include <gtest/gtest.h>

#include "sim/brute_force.hpp"
#include "sim/random_scenario.hpp"

namespace hatch::sim {
namespace {

// A frontend with no work of its own calling one component on the origin and two nodes. Links
// are 0.5 ms round trips at 1 MB/s (1000 bytes per ms), with no RPC or serialisation overhead,
// so every figure can be worked out by hand.
Scenario two_tier(StateKind kind, double rate) {
  Scenario s;
  s.name = "two-tier";
  s.hosts = {{"local", 1, 1000}, {"a", 1, 1000}, {"b", 1, 1000}};
  s.rtt_ms.assign(9, 0.5);
  s.bandwidth_mb_per_s.assign(9, 1);
  s.network = {0, 1e9};
  ComponentModel frontend;
  frontend.name = "frontend";
  frontend.pinned = true;
  frontend.read_ms = 0;
  ComponentModel worker;
  worker.name = "worker";
  worker.kind = kind;
  worker.read_ms = 1;
  worker.write_ms = 1;
  s.components = {frontend, worker};
  s.classes = {"request"};
  EdgeModel call;
  call.caller = 0;
  call.callee = 1;
  call.calls = {1};
  call.request_bytes = 400;
  call.response_bytes = 600;
  s.edges = {call};
  s.workload = {rate, {1}};
  validate(s);
  return s;
}

OptionIndex option_named(const DesignSpace& space, std::size_t c, const std::string& text) {
  const std::optional<OptionIndex> option = space.find(c, Placement::parse(text));
  if (!option) ADD_FAILURE() << "no option " << text;
  return option.value_or(0);
}

TEST(LatencyModel, ARemoteHopCostsTheRoundTripAndThePayloadOverBandwidth) {
  const Scenario s = two_tier(StateKind::stateless, 0.001);  // no queueing to speak of
  const DesignSpace space = s.space();
  const LatencyModel model(s, s.workload, space);
  const double local = model.latency_ms({0, option_named(space, 1, "local")});
  const double remote = model.latency_ms({0, option_named(space, 1, "on(a)")});
  EXPECT_NEAR(local, 1.0, 1e-3);
  EXPECT_NEAR(remote - local, 0.5 + 1000.0 / 1000, 1e-3);  // rtt + 1000 bytes at 1000 B/ms
}

TEST(LatencyModel, QueueingFollowsMM1OnOneCore) {
  const Scenario s = two_tier(StateKind::stateless, 500);  // 500 calls/s of 1 ms: rho = 0.5
  const DesignSpace space = s.space();
  const LatencyModel model(s, s.workload, space);
  const ModelDetail d = model.detail({0, 0});
  EXPECT_NEAR(d.host_utilisation[0], 0.5, 1e-9);
  EXPECT_NEAR(d.latency_ms, 1 / (1 - 0.5), 1e-3);  // M/M/1 response time
  EXPECT_NEAR(d.throughput_rps, 500, 1e-9);
}

TEST(LatencyModel, ReplicationSpreadsStatelessLoad) {
  const Scenario s = two_tier(StateKind::stateless, 500);
  const DesignSpace space = s.space();
  const LatencyModel model(s, s.workload, space);
  const ModelDetail one = model.detail({0, option_named(space, 1, "on(a)")});
  const ModelDetail two = model.detail({0, option_named(space, 1, "replicated{a,b}")});
  EXPECT_NEAR(one.host_utilisation[1], 0.5, 1e-9);
  EXPECT_NEAR(two.host_utilisation[1], 0.25, 1e-9);
  EXPECT_NEAR(two.host_utilisation[2], 0.25, 1e-9);
  // 1.5 ms of network, then 1 ms of service at rho = 0.25: 1 / 0.75.
  EXPECT_NEAR(two.latency_ms, 1.5 + 1 / 0.75, 1e-3);
  EXPECT_LT(two.latency_ms, one.latency_ms);
}

TEST(LatencyModel, StatefulWritesWaitForTheSlowestBackup) {
  Scenario s = two_tier(StateKind::stateful, 0.001);
  s.edges[0].op = CallOp::write;
  s.rtt_ms[1 * 3 + 2] = s.rtt_ms[2 * 3 + 1] = 3;  // a <-> b is slow
  const DesignSpace space = s.space();
  const LatencyModel model(s, s.workload, space);
  const ModelDetail d = model.detail({0, option_named(space, 1, "replicated{a,b}")});
  // To the primary a: 0.5 + 1000/1000; apply: 1; forward to b: 3 + 400/1000; apply there: 1.
  EXPECT_NEAR(d.latency_ms, 1.5 + 1 + 3.4 + 1, 1e-3);
  s.workload.rate = 500;
  const LatencyModel loaded(s, s.workload, space);
  const ModelDetail l = loaded.detail({0, option_named(space, 1, "replicated{a,b}")});
  EXPECT_NEAR(l.host_utilisation[1], 0.5, 1e-9);  // every replica applies every write
  EXPECT_NEAR(l.host_utilisation[2], 0.5, 1e-9);
}

TEST(LatencyModel, StatefulReadsSpreadOverReplicas) {
  const Scenario s = two_tier(StateKind::stateful, 500);
  const DesignSpace space = s.space();
  const LatencyModel model(s, s.workload, space);
  const ModelDetail d = model.detail({0, option_named(space, 1, "replicated{a,b}")});
  EXPECT_NEAR(d.host_utilisation[1], 0.25, 1e-9);
}

TEST(LatencyModel, KeylessCallsToShardsWaitForTheSlowest) {
  Scenario s = two_tier(StateKind::keyed, 0.001);
  s.edges[0].keyed = false;
  s.rtt_ms[0 * 3 + 2] = s.rtt_ms[2 * 3 + 0] = 2;  // origin <-> b is slow
  const DesignSpace space = s.space();
  const LatencyModel model(s, s.workload, space);
  // Each shard reads its own half: 0.5 ms of the 1 ms a whole read takes.
  EXPECT_NEAR(model.latency_ms({0, option_named(space, 1, "sharded{a,b}")}), 2 + 1 + 0.5, 1e-3);
  s.edges[0].op = CallOp::write;  // a keyless write is a broadcast, whole on every shard
  const LatencyModel broadcast(s, s.workload, space);
  EXPECT_NEAR(broadcast.latency_ms({0, option_named(space, 1, "sharded{a,b}")}), 2 + 1 + 1, 1e-3);
  s.edges[0].op = CallOp::read;
  s.edges[0].keyed = true;  // a keyed call goes to one shard: the average
  const LatencyModel keyed(s, s.workload, space);
  EXPECT_NEAR(keyed.latency_ms({0, option_named(space, 1, "sharded{a,b}")}), (1.5 + 1 + 3 + 1) / 2,
              1e-3);
}

TEST(LatencyModel, AKeylessReadOfShardsCostsEachShardItsOwnPart) {
  Scenario s = two_tier(StateKind::keyed, 400);
  s.edges[0].keyed = false;
  s.rtt_ms.assign(9, 0);
  s.bandwidth_mb_per_s.assign(9, 1e6);
  const DesignSpace space = s.space();
  const LatencyModel model(s, s.workload, space);
  const ModelDetail one = model.detail({0, option_named(space, 1, "on(a)")});
  const ModelDetail two = model.detail({0, option_named(space, 1, "sharded{a,b}")});
  EXPECT_NEAR(one.host_utilisation[1], 0.4, 1e-9);
  EXPECT_NEAR(two.host_utilisation[1], 0.2, 1e-9);  // half the data each, half the work
  EXPECT_NEAR(two.host_utilisation[2], 0.2, 1e-9);
  EXPECT_LT(two.latency_ms, one.latency_ms) << "a scan over two shards is faster than over one";
}

// A cache in front of a store: its working set is twice one node's memory.
Scenario cached(double origin_memory_mb) {
  Scenario s = two_tier(StateKind::keyed, 0.001);
  s.hosts[0].memory_mb = origin_memory_mb;
  s.components[1].name = "cache";
  s.components[1].cache = CacheSpec{2000, 1.0, 1.0};
  ComponentModel store;
  store.name = "store";
  store.kind = StateKind::keyed;
  store.read_ms = 10;
  s.components.push_back(store);
  EdgeModel miss = s.edges[0];
  miss.callee = 2;
  miss.when = CallWhen::on_miss;
  miss.cache = 1;
  s.edges.push_back(miss);
  validate(s);
  return s;
}

TEST(LatencyModel, ShardingACacheAddsUpItsHostsMemory) {
  const Scenario s = cached(0);
  const DesignSpace space = s.space();
  const LatencyModel model(s, s.workload, space);
  auto hit = [&](const std::string& placement) {
    return model.detail({0, option_named(space, 1, placement), 0}).cache_hit_rate[1];
  };
  EXPECT_NEAR(hit("local"), 0, 1e-9);           // the origin has no memory to spare
  EXPECT_NEAR(hit("on(a)"), 0.5, 1e-9);         // 1000 of 2000 MB, linear curve
  EXPECT_NEAR(hit("sharded{a,b}"), 1.0, 1e-9);  // two shards of 1000 MB, each holding half
  EXPECT_NEAR(hit("sharded{local,a}"), 0.5, 1e-9);
  // The store is called on a miss only: half as often with the cache on a.
  const ModelDetail d = model.detail({0, option_named(space, 1, "on(a)"), 0});
  EXPECT_NEAR(d.component_calls_per_request[2], 0.5, 1e-9);
  EXPECT_NEAR(d.latency_ms, 2.5 + 0.5 * 10, 1e-3);
}

TEST(LatencyModel, AFootprintLeavesLessMemoryForACache) {
  Scenario s = cached(0);
  s.components[2].memory_mb = 500;  // the store, placed on a beside the cache
  const DesignSpace space = s.space();
  const LatencyModel model(s, s.workload, space);
  const OptionIndex on_a = option_named(space, 1, "on(a)");
  const OptionIndex store_on_a = option_named(space, 2, "on(a)");
  EXPECT_NEAR(model.detail({0, on_a, store_on_a}).cache_hit_rate[1], 0.25, 1e-9);
}

TEST(LatencyModel, ACachesOwnFootprintLeavesItLessMemory) {
  Scenario s = cached(0);
  s.components[1].memory_mb = 500;  // the cache's code and bookkeeping, 500 of a's 1000 MB
  const DesignSpace space = s.space();
  const LatencyModel model(s, s.workload, space);
  EXPECT_NEAR(model.detail({0, option_named(space, 1, "on(a)"), 0}).cache_hit_rate[1], 0.25, 1e-9);
}

TEST(LatencyModel, OverloadIsSlowButFinite) {
  double previous = 0;
  for (double rate : {100.0, 500.0, 900.0, 1500.0, 5000.0, 50000.0}) {
    const Scenario s = two_tier(StateKind::stateless, rate);
    const DesignSpace space = s.space();
    const LatencyModel model(s, s.workload, space);
    const ModelDetail d = model.detail({0, 0});
    EXPECT_TRUE(std::isfinite(d.latency_ms));
    EXPECT_GT(d.latency_ms, previous) << "rate " << rate;
    previous = d.latency_ms;
    if (rate > 1000) {
      EXPECT_LT(d.throughput_rps, rate);
    }
  }
}

TEST(LatencyModel, DetailAgreesWithTheFastPath) {
  const Scenario s = cached(1500);
  const DesignSpace space = s.space();
  const LatencyModel model(s, s.workload, space);
  Choice c(space.component_count(), 0);
  do {
    const ModelDetail d = model.detail(c);
    EXPECT_NEAR(d.latency_ms, model.latency_ms(c), 1e-9);
    EXPECT_NEAR(d.component_latency_ms[0], d.latency_ms, 1e-9);
  } while (space.next(c));
}

TEST(BruteForce, FindsTheSameOptimumAsALoopOverTheSpace) {
  const Scenario s = cached(1500);
  const DesignSpace space = s.space();
  const LatencyModel model(s, s.workload, space);
  double best = 1e300;
  Choice c(space.component_count(), 0);
  do {
    best = std::min(best, model.latency_ms(c));
  } while (space.next(c));
  std::uint64_t reported = 0;
  const SearchResult r = exhaustive_optimum(
      model, space, 2, [&](std::uint64_t done, std::uint64_t) { reported = done; });
  EXPECT_DOUBLE_EQ(r.latency_ms, best);
  EXPECT_DOUBLE_EQ(model.latency_ms(r.choice), best);
  EXPECT_EQ(r.evaluated, 49u);
  EXPECT_EQ(reported, 49u);
  const SearchResult sampled = best_of_random(model, space, 500, 3);
  EXPECT_GE(sampled.latency_ms, best);
}

TEST(BruteForce, CoordinateDescentsComeCloserToTheOptimumThanRandomDesigns) {
  int closer = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    const Scenario s = random_scenario(seed, {.components = 4, .nodes = 3});
    const DesignSpace space = s.space();
    const LatencyModel model(s, s.workload, space);
    const SearchResult optimum = exhaustive_optimum(model, space, 2);
    const SearchResult descents = best_of_descents(model, space, 2000, seed);
    const SearchResult sampled = best_of_random(model, space, descents.evaluated, seed);
    EXPECT_GE(descents.latency_ms, optimum.latency_ms) << "seed " << seed;
    EXPECT_DOUBLE_EQ(model.latency_ms(descents.choice), descents.latency_ms);
    EXPECT_GE(descents.evaluated, 2000u);
    EXPECT_LE(descents.latency_ms, sampled.latency_ms) << "seed " << seed;
    closer += descents.latency_ms < sampled.latency_ms;
  }
  EXPECT_GT(closer, 0) << "with as many evaluations, descents beat random designs somewhere";
}

}  // namespace
}  // namespace hatch::sim

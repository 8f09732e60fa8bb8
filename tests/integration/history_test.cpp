// Randomized histories: threads call a stateless, a stateful and a keyed component while
// random transitions move each of them among every placement kind, over three node processes.
// Every third transition puts the keyed component on replicated shards, so that every run
// moves it to them and from them.
// Every result is checked against a sequential model. Each run is seeded; the seed is printed,
// and HATCH_HISTORY_SEED=<seed> reruns exactly that sequence of transitions.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "cluster_test.hpp"
#include "hatch/hatch.hpp"
#include "node_process.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

constexpr int kThreads = 4;
constexpr int kTransitions = 18;
constexpr int kCallsBetweenTransitions = 150;
constexpr int kKeysPerThread = 6;

// Replicated shards over three or four of the origin and `nodes`, in two shards of which one
// at least is a replica set, drawn at random.
Placement random_replicated_shards(std::mt19937_64& rng, const std::vector<std::string>& nodes) {
  std::vector<std::string> hosts = nodes;
  hosts.push_back("local");
  std::shuffle(hosts.begin(), hosts.end(), rng);
  hosts.resize(std::uniform_int_distribution<std::size_t>(3, hosts.size())(rng));
  const auto split = std::uniform_int_distribution<std::size_t>(1, hosts.size() - 1)(rng);
  return Placement::replicated_shards({{hosts.begin(), hosts.begin() + static_cast<long>(split)},
                                       {hosts.begin() + static_cast<long>(split), hosts.end()}});
}

// Every placement a component of `kind` may take over the origin and `nodes`, drawn at random.
Placement random_placement(std::mt19937_64& rng, StateKind kind,
                           const std::vector<std::string>& nodes) {
  std::vector<std::string> hosts = nodes;
  hosts.push_back("local");
  const int kinds = kind == StateKind::keyed ? 5 : 3;
  switch (std::uniform_int_distribution<int>(0, kinds - 1)(rng)) {
    case 0:
      return Placement::local();
    case 1:
      return Placement::on(
          nodes[std::uniform_int_distribution<std::size_t>(0, nodes.size() - 1)(rng)]);
    case 4:
      return random_replicated_shards(rng, nodes);
    default: {
      std::shuffle(hosts.begin(), hosts.end(), rng);
      hosts.resize(std::uniform_int_distribution<std::size_t>(2, hosts.size())(rng));
      return hosts.size() >= 2 && kinds == 4 && std::bernoulli_distribution(0.5)(rng)
                 ? Placement::sharded(hosts)
                 : Placement::replicated(hosts);
    }
  }
}

std::uint64_t seed_for(std::uint64_t fallback) {
  const char* env = std::getenv("HATCH_HISTORY_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : fallback;
}

class History : public ClusterTest, public ::testing::WithParamInterface<std::uint64_t> {};

TEST_P(History, EveryResultMatchesTheSequentialModelAcrossRandomTransitions) {
  const std::uint64_t seed = seed_for(GetParam());
  std::cout << "history seed " << seed << " (rerun: HATCH_HISTORY_SEED=" << seed << ")\n";
  SCOPED_TRACE("history seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  NodeProcess a(secret_.path());
  NodeProcess b(secret_.path());
  NodeProcess c(secret_.path());
  const std::vector<std::string> nodes = {a.address(), b.address(), c.address()};
  Origin origin(Catalog::program(), options());
  Ref<Echo> echo = origin.get<Echo>("echo");
  Ref<Tally> tally = origin.get<Tally>("tally");
  Ref<Counts> counts = origin.get<Counts>("counts");

  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> calls{0};
  std::mutex mu;
  std::vector<std::string> mismatches;
  auto mismatch = [&](std::string what) {
    std::lock_guard lock(mu);
    if (mismatches.size() < 20) mismatches.push_back(std::move(what));
  };
  std::vector<std::vector<std::int64_t>> tallies(kThreads);
  std::vector<std::vector<std::int64_t>> model(kThreads, std::vector<std::int64_t>(kKeysPerThread));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 ops(seed * 31 + static_cast<std::uint64_t>(t));
      auto name = [&](int k) { return "t" + std::to_string(t) + "-" + std::to_string(k); };
      try {
        while (!stop.load()) {
          const int k = std::uniform_int_distribution<int>(0, kKeysPerThread - 1)(ops);
          switch (std::uniform_int_distribution<int>(0, 4)(ops)) {
            case 0: {
              const auto x = static_cast<std::int64_t>(ops() % 1000);
              if (echo->add(x, 7) != x + 7) mismatch("echo.add");
              break;
            }
            case 1:
              tallies[t].push_back(tally->bump(1));
              break;
            case 2:
              if (counts->add(name(k), 1) != ++model[t][k]) mismatch("counts.add " + name(k));
              break;
            case 3:
              if (counts->get(name(k)) != model[t][k]) mismatch("counts.get " + name(k));
              break;
            case 4: {
              // Keys are only added: at least the ones this thread wrote exist.
              const auto mine = static_cast<std::uint64_t>(
                  std::count_if(model[t].begin(), model[t].end(), [](auto n) { return n > 0; }));
              if (counts->size() < mine) mismatch("counts.size");
              break;
            }
          }
          ++calls;
        }
      } catch (const std::exception& e) {
        mismatch(std::string("a call failed: ") + e.what());
      }
    });
  }
  const std::vector<std::pair<std::string, StateKind>> components = {
      {"echo", StateKind::stateless}, {"tally", StateKind::stateful}, {"counts", StateKind::keyed}};
  int moves_to = 0;    // transitions to replicated shards
  int moves_from = 0;  // transitions from them
  for (int i = 0; i < kTransitions; ++i) {
    const std::int64_t before = calls.load();
    while (calls.load() < before + kCallsBetweenTransitions && mismatches.empty()) {
      std::this_thread::yield();
    }
    const bool to_replicated_shards = i % 3 == 2;
    const auto& [component, kind] =
        to_replicated_shards
            ? components.back()
            : components[std::uniform_int_distribution<std::size_t>(0, components.size() - 1)(rng)];
    const Placement placement = to_replicated_shards ? random_replicated_shards(rng, nodes)
                                                     : random_placement(rng, kind, nodes);
    const Placement before_move = origin.placements().at(component);
    for (const TransitionReport& r : origin.apply({{component, placement}})) {
      EXPECT_TRUE(r.ok) << r.to_string();
    }
    if (placement.has_replicated_shards()) ++moves_to;
    if (before_move.has_replicated_shards() && before_move != placement) ++moves_from;
    EXPECT_EQ(origin.placements().at(component), placement);
  }
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_TRUE(mismatches.empty()) << mismatches.front();
  EXPECT_GE(moves_to, kTransitions / 3);
  EXPECT_GE(moves_from, 1);

  // The tally's writes had one total order: every result distinct, each thread's increasing,
  // the last equal to the number of bumps.
  std::vector<std::int64_t> all;
  for (const auto& mine : tallies) {
    EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));
    all.insert(all.end(), mine.begin(), mine.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "a bump was applied twice";
  EXPECT_EQ(tally->total(), static_cast<std::int64_t>(all.size())) << "a bump was lost";
  std::uint64_t keys = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int k = 0; k < kKeysPerThread; ++k) {
      if (model[t][k] == 0) continue;
      ++keys;
      EXPECT_EQ(counts->get("t" + std::to_string(t) + "-" + std::to_string(k)), model[t][k]);
    }
  }
  EXPECT_EQ(counts->size(), keys);
}

INSTANTIATE_TEST_SUITE_P(Seeds, History, ::testing::Values(1, 2, 3, 4));

}  // namespace
}  // namespace hatch::test

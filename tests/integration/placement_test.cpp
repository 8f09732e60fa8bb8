// Replication and sharding across real node processes, and transitions between placements.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "cluster_test.hpp"
#include "hatch/hatch.hpp"
#include "hatch/internal/shard_route.hpp"
#include "node_process.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

class Placements : public ClusterTest {
 protected:
  static void expect_ok(const std::vector<TransitionReport>& reports) {
    for (const TransitionReport& r : reports) EXPECT_TRUE(r.ok) << r.to_string();
  }
};

std::string key(int i) {
  return "key-" + std::to_string(i);
}

// The home of `k` among `homes` ("local" is the origin), as the runtime routes it.
std::string home_of(const std::string& k, const std::vector<std::string>& homes) {
  const auto n = static_cast<std::uint32_t>(homes.size());
  return homes[internal::jump_hash(internal::key_hash(k), n)];
}

TEST_F(Placements, AShardedComponentRoutesEachKeyToOneShardAndMergesReadsWithoutAKey) {
  NodeProcess a(secret_.path());
  NodeProcess b(secret_.path());
  NodeProcess c(secret_.path());
  Origin origin(Catalog::program(), options());
  Ref<Counts> counts = origin.get<Counts>("counts");
  for (int i = 0; i < 200; ++i) counts->add(key(i), i);
  const Placement three = Placement::sharded({a.address(), b.address(), c.address()});
  expect_ok(origin.apply({{"counts", three}}));
  EXPECT_EQ(counts.binding().kind, Binding::Kind::sharded);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(counts->get(key(i)), i) << key(i);
  EXPECT_EQ(counts->size(), 200u);
  EXPECT_EQ(counts->total(), 199 * 200 / 2);
  EXPECT_EQ(counts->largest(), 199);
  EXPECT_TRUE(counts->has_any());
  std::vector<std::string> hosts = counts->hosts();
  EXPECT_EQ(hosts, (std::vector<std::string>{a.address(), b.address(), c.address()}))
      << "a read without a key reaches every shard, in shard order";
  // A write with a key lands on its shard only: after it, the shards still split the keys.
  for (int i = 0; i < 200; ++i) ASSERT_EQ(counts->add(key(i), 1), i + 1);
  expect_ok(origin.apply({{"counts", Placement::local()}}));
  EXPECT_EQ(counts.binding(), Binding::local());
  EXPECT_EQ(counts->size(), 200u);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(counts->get(key(i)), i + 1) << key(i);
}

TEST_F(Placements, AReplicatedStatefulComponentWritesThroughItsPrimaryAndEveryReadSeesThem) {
  NodeProcess a(secret_.path());
  NodeProcess b(secret_.path());
  Origin origin(Catalog::program(), options());
  Ref<Tally> tally = origin.get<Tally>("tally");
  tally->bump(10);
  expect_ok(origin.apply({{"tally", Placement::replicated({a.address(), b.address(), "local"})}}));
  EXPECT_EQ(tally.binding().kind, Binding::Kind::replicated);
  std::atomic<int> stale{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        const std::int64_t after = tally->bump(1);
        // The read starts after the write returned, on whichever replica: it must see it.
        if (tally->total() < after) ++stale;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(stale.load(), 0);
  EXPECT_EQ(tally->total(), 10 + 900);
  expect_ok(origin.apply({{"tally", Placement::on(b.address())}}));
  EXPECT_EQ(tally->total(), 910) << "the state left the replica set whole";
}

TEST_F(Placements, ConcurrentWritesReachEveryReplicaInOneOrder) {
  NodeProcess a(secret_.path());
  NodeProcess b(secret_.path());
  NodeProcess c(secret_.path());
  Origin origin(Catalog::program(), options());
  Ref<Sequence> sequence = origin.get<Sequence>("sequence");
  expect_ok(
      origin.apply({{"sequence", Placement::replicated({a.address(), b.address(), c.address()})}}));
  // Writers overlap, so that writes arrive at the primary while others are on their way to
  // the backups and travel there together.
  constexpr int kWriters = 6;
  constexpr int kWrites = 150;
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) sequence->append(std::uint64_t(t * 1000 + i));
    });
  }
  for (std::thread& w : writers) w.join();
  // Reads go round the replicas: within a few, each has answered.
  std::map<std::string, std::vector<std::uint64_t>> seen;
  for (int i = 0; i < 30 && seen.size() < 3; ++i) {
    auto [host, items] = sequence->items();
    seen[host] = std::move(items);
  }
  ASSERT_EQ(seen.size(), 3u);
  const std::vector<std::uint64_t>& primary = seen.at(a.address());
  ASSERT_EQ(primary.size(), std::size_t{kWriters * kWrites});
  EXPECT_EQ(seen.at(b.address()), primary) << "backup " << b.address();
  EXPECT_EQ(seen.at(c.address()), primary) << "backup " << c.address();
  // Each writer's own writes keep the order it made them in.
  std::vector<int> next(kWriters, 0);
  for (std::uint64_t v : primary) {
    const int t = static_cast<int>(v / 1000);
    EXPECT_EQ(static_cast<int>(v % 1000), next[t]++) << "writer " << t;
  }
}

TEST_F(Placements, AStatelessComponentSpreadsItsCallsOverItsReplicas) {
  NodeProcess a(secret_.path());
  NodeProcess b(secret_.path());
  Origin origin(Catalog::program(), options());
  Ref<Echo> echo = origin.get<Echo>("echo");
  expect_ok(origin.apply({{"echo", Placement::replicated({a.address(), b.address()})}}));
  std::set<std::string> seen;
  std::vector<std::thread> threads;
  std::mutex mu;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        std::string where = echo->where();
        std::lock_guard lock(mu);
        seen.insert(std::move(where));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(seen, (std::set<std::string>{a.address(), b.address()}));
  // One call at a time leaves every replica idle, a tie each time: ties spread too.
  std::set<std::string> alone;
  for (int i = 0; i < 4; ++i) alone.insert(echo->where());
  EXPECT_EQ(alone, (std::set<std::string>{a.address(), b.address()}));
}

TEST_F(Placements, APlacementTheComponentCannotTakeIsRefusedWithTheReason) {
  NodeProcess a(secret_.path());
  Origin origin(Catalog::program(), options());
  const Placement shards = Placement::sharded({a.address(), "local"});
  auto refusal = [&](const std::string& name) -> std::string {
    try {
      origin.apply({{name, shards}});
    } catch (const UsageError& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_NE(refusal("tally").find("its state is one whole"), std::string::npos);
  EXPECT_NE(refusal("store").find("its state is nothing"), std::string::npos);
  EXPECT_NE(refusal("ledger").find("Ledger::where has no shard key and no merge policy"),
            std::string::npos);
  EXPECT_EQ(origin.get<Ledger>("ledger").binding(), Binding::local()) << "nothing moved";
  // A design is checked whole before anything moves: "counts" could be sharded, but "tally",
  // later in the design, cannot, so "counts" stays where it is.
  Ref<Counts> counts = origin.get<Counts>("counts");
  EXPECT_THROW(origin.apply({{"counts", shards}, {"tally", shards}}), UsageError);
  EXPECT_EQ(counts.binding(), Binding::local()) << "nothing moved";
  EXPECT_THROW(Placement::parse("sharded{a:1}"), UsageError);
  EXPECT_THROW(Placement::parse("replicated{a:1,a:1}"), UsageError);
  EXPECT_THROW(Placement::parse("everywhere"), UsageError);
}

TEST_F(Placements, ReshardingKeepsEveryEntryAndMovesOnlyThoseWhoseShardChanges) {
  NodeProcess a(secret_.path());
  NodeProcess b(secret_.path());
  NodeProcess c(secret_.path());
  NodeProcess d(secret_.path());
  Origin origin(Catalog::program(), options());
  Ref<Counts> counts = origin.get<Counts>("counts");
  constexpr int kKeys = 1000;
  for (int i = 0; i < kKeys; ++i) counts->add(key(i), i + 1);
  const std::vector<std::vector<std::string>> steps = {
      {a.address(), b.address()},
      {a.address(), b.address(), c.address()},
      {a.address(), b.address(), c.address(), d.address(), "local"},
      {a.address(), b.address()}};
  std::vector<std::string> before = {"local"};
  for (const auto& hosts : steps) {
    const Placement p = Placement::sharded(hosts);
    std::uint64_t must_move = 0;
    for (int i = 0; i < kKeys; ++i) must_move += home_of(key(i), before) != home_of(key(i), hosts);
    std::vector<TransitionReport> reports = origin.apply({{"counts", p}});
    expect_ok(reports);
    if (before.size() > 1) {
      EXPECT_EQ(reports.front().entries_moved, must_move) << p.to_string();
      EXPECT_LT(must_move, static_cast<std::uint64_t>(kKeys)) << p.to_string();
    }
    ASSERT_EQ(counts->size(), static_cast<std::uint64_t>(kKeys)) << p.to_string();
    for (int i = 0; i < kKeys; ++i) ASSERT_EQ(counts->get(key(i)), i + 1) << p.to_string();
    before = hosts;
  }
}

TEST_F(Placements, ADeadShardFailsItsKeysClearlyWhileTheOtherKeysWork) {
  NodeProcess a(secret_.path());
  auto b = std::make_unique<NodeProcess>(secret_.path());
  const std::string dead = b->address();
  Origin origin(Catalog::program(), options());
  Ref<Counts> counts = origin.get<Counts>("counts");
  const std::vector<std::string> homes = {a.address(), dead};
  expect_ok(origin.apply({{"counts", Placement::sharded(homes)}}));
  for (int i = 0; i < 50; ++i) counts->add(key(i), 1);
  b->kill_and_reap(SIGKILL);
  int failed = 0;
  for (int i = 0; i < 50; ++i) {
    if (home_of(key(i), homes) == a.address()) {
      EXPECT_EQ(counts->add(key(i), 1), 2) << key(i);
      continue;
    }
    try {
      counts->get(key(i));
      ADD_FAILURE() << key(i) << " lives on the dead shard, yet its call succeeded";
    } catch (const RemoteError& e) {
      ++failed;
      EXPECT_NE(std::string(e.what()).find(dead), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(failed, 0);
  // Moving away from a dead shard would lose its entries: the transition fails and says so.
  std::vector<TransitionReport> reports = origin.apply({{"counts", Placement::local()}});
  EXPECT_FALSE(reports.front().ok);
  EXPECT_EQ(counts.binding().kind, Binding::Kind::sharded);
}

TEST_F(Placements, ABackupThatDiesMidLoadLosesNoAcknowledgedWrite) {
  NodeProcess a(secret_.path());
  NodeProcess b(secret_.path());
  auto c = std::make_unique<NodeProcess>(secret_.path());
  Origin origin(Catalog::program(), options());
  Ref<Counts> counts = origin.get<Counts>("counts");
  expect_ok(
      origin.apply({{"counts", Placement::replicated({a.address(), b.address(), c->address()})}}));
  std::atomic<int> acknowledged_writes{0};
  std::atomic<bool> stop{false};
  std::vector<std::int64_t> acked(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      while (!stop.load()) {
        const std::int64_t now = counts->add("writer-" + std::to_string(t), 1);
        acked[t] = now;
        ++acknowledged_writes;
        // Reads spread over the replicas, the dead one included until it is found dead.
        EXPECT_GE(counts->get("writer-" + std::to_string(t)), now);
      }
    });
  }
  while (acknowledged_writes.load() < 200) std::this_thread::yield();
  c->kill_and_reap(SIGKILL);
  const int at_kill = acknowledged_writes.load();
  while (acknowledged_writes.load() < at_kill + 400) std::this_thread::yield();
  stop = true;
  for (auto& t : threads) t.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(counts->get("writer-" + std::to_string(t)), acked[t]) << "writer " << t;
  }
  // The dead backup missed writes: the origin takes it out of the set on its own.
  const Binding survivors{Binding::Kind::replicated, {a.address(), b.address()}};
  const auto guard = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (counts.binding() != survivors && std::chrono::steady_clock::now() < guard) {
    std::this_thread::yield();
  }
  EXPECT_EQ(counts.binding(), survivors);
  // The survivors hold every acknowledged write, whichever of them answers.
  expect_ok(origin.apply({{"counts", Placement::on(b.address())}}));
  for (int t = 0; t < 4; ++t) EXPECT_EQ(counts->get("writer-" + std::to_string(t)), acked[t]);
}

TEST_F(Placements, WhenThePrimaryDiesTheOriginFailsOverAndWritesGoOn) {
  auto a = std::make_unique<NodeProcess>(secret_.path());
  NodeProcess b(secret_.path());
  NodeProcess c(secret_.path());
  Origin origin(Catalog::program(), options());
  Ref<Counts> counts = origin.get<Counts>("counts");
  expect_ok(
      origin.apply({{"counts", Placement::replicated({a->address(), b.address(), c.address()})}}));
  std::atomic<bool> stop{false};
  std::atomic<int> acked_after_kill{0};
  std::atomic<bool> killed{false};
  // Per writer: writes acknowledged, and writes whose outcome is unknown (the primary died
  // under them: they may or may not have been applied).
  std::vector<std::int64_t> acked(4, 0);
  std::vector<std::int64_t> unknown(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string mine = "writer-" + std::to_string(t);
      while (!stop.load()) {
        try {
          counts->add(mine, 1);
          ++acked[t];
          if (killed.load()) ++acked_after_kill;
        } catch (const RemoteError&) {
          ++unknown[t];
        }
      }
    });
  }
  while (acked[0] + acked[1] + acked[2] + acked[3] < 200) std::this_thread::yield();
  a->kill_and_reap(SIGKILL);
  killed = true;
  // Readiness, not time: the writers go on once the origin has failed over.
  while (acked_after_kill.load() < 200) std::this_thread::yield();
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(counts.binding(), (Binding{Binding::Kind::replicated, {b.address(), c.address()}}));
  for (int t = 0; t < 4; ++t) {
    const std::int64_t value = counts->get("writer-" + std::to_string(t));
    EXPECT_GE(value, acked[t]) << "writer " << t << " lost an acknowledged write";
    EXPECT_LE(value, acked[t] + unknown[t]) << "writer " << t;
  }
}

TEST_F(Placements, WhenAShardsPrimaryDiesItsReplicaKeepsEveryAcknowledgedWrite) {
  auto a = std::make_unique<NodeProcess>(secret_.path());
  NodeProcess b(secret_.path());
  NodeProcess c(secret_.path());
  Origin origin(Catalog::program(), options());
  Ref<Counts> counts = origin.get<Counts>("counts");
  const std::string dead = a->address();
  expect_ok(origin.apply(
      {{"counts", Placement::replicated_shards({{dead, b.address()}, {c.address(), "local"}})}}));
  EXPECT_EQ(counts.binding(),
            (Binding{Binding::Kind::sharded, {dead, b.address(), c.address(), "origin"}}));
  EXPECT_EQ(counts->hosts().size(), 2u) << "a read without a key reaches one replica per shard";
  // Writers on keys of both shards; a write whose primary died under it may or may not have
  // been applied.
  constexpr int kKeys = 8;
  std::vector<std::int64_t> acked(kKeys, 0);
  std::vector<std::int64_t> unknown(kKeys, 0);
  std::atomic<bool> stop{false};
  std::atomic<bool> killed{false};
  std::atomic<int> acked_after_kill{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; !stop.load(); ++round) {
        const int k = t * 2 + round % 2;
        try {
          counts->add(key(k), 1);
          ++acked[k];
          if (killed.load()) ++acked_after_kill;
          // Reads spread over each shard's replicas: every one holds the acknowledged writes.
          EXPECT_GE(counts->get(key(k)), acked[k]) << key(k);
        } catch (const RemoteError&) {
          ++unknown[k];
        }
      }
    });
  }
  std::int64_t total = 0;
  while (total < 200) {
    std::this_thread::yield();
    total = 0;
    for (int k = 0; k < kKeys; ++k) total += acked[k];
  }
  a->kill_and_reap(SIGKILL);
  killed = true;
  // Readiness, not time: the writers go on once the origin has failed the shard over.
  while (acked_after_kill.load() < 200) std::this_thread::yield();
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(origin.placements().at("counts"),
            Placement::replicated_shards({{b.address()}, {c.address(), "local"}}));
  std::set<std::string> shard_of_dead;
  for (int k = 0; k < kKeys; ++k) {
    const std::int64_t value = counts->get(key(k));
    EXPECT_GE(value, acked[k]) << key(k) << " lost an acknowledged write";
    EXPECT_LE(value, acked[k] + unknown[k]) << key(k);
    if (home_of(key(k), {dead, c.address()}) == dead) shard_of_dead.insert(key(k));
  }
  EXPECT_FALSE(shard_of_dead.empty()) << "no key lived on the shard whose primary died";
  EXPECT_TRUE(origin.lost_components().empty());
}

TEST_F(Placements, AComponentOnANodeCallsReplicatedShardsAndFollowsTheirMoves) {
  NodeProcess a(secret_.path());
  NodeProcess b(secret_.path());
  NodeProcess c(secret_.path());
  Options o = options();
  o.placements["counts-client"] = b.address();
  Origin origin(Catalog::program(), o);
  Ref<CountsClient> client = origin.get<CountsClient>("counts-client");
  Ref<Counts> counts = origin.get<Counts>("counts");
  const std::vector<Placement> moves = {
      Placement::replicated_shards({{a.address(), b.address()}, {c.address(), "local"}}),
      Placement::replicated_shards({{c.address()}, {"local", a.address(), b.address()}}),
      Placement::sharded({a.address(), b.address(), c.address()}),
      Placement::replicated_shards({{b.address(), c.address()}, {a.address()}})};
  std::map<std::string, std::int64_t> model;
  for (const Placement& to : moves) {
    expect_ok(origin.apply({{"counts", to}}));
    // The client resolved the counts at the origin the first time, and was told of each move.
    for (int i = 0; i < 40; ++i) {
      ASSERT_EQ(client->add_via(key(i), i), model[key(i)] += i) << to.to_string();
    }
    for (int i = 0; i < 40; ++i) ASSERT_EQ(counts->get(key(i)), model[key(i)]) << key(i);
    EXPECT_EQ(counts->size(), 40u);
    EXPECT_EQ(client->size_via(), 40u);
  }
}

// EMULATION: a node told to hold every frame it sends serves exactly as before, only later.
TEST_F(Placements, ANodeWithEmulatedLinkLatencyAnswersCorrectlyAndNeverSooner) {
  NodeProcess slow(secret_.path(), "127.0.0.1:0", {"--hatch-emulated-link-latency-ms", "30"});
  ASSERT_TRUE(slow.wait_for_log("EMULATION"));
  Origin origin(Catalog::program(), options());
  Ref<Counts> counts = origin.get<Counts>("counts");
  expect_ok(origin.apply({{"counts", Placement::on(slow.address())}}));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 1; i <= 20; ++i) {
        if (counts->add("writer-" + std::to_string(t), 1) != i) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  // The node's answer waits on a timer of 30 ms, so no round trip can be shorter: this bound
  // follows from the emulation itself and cannot flake.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(counts->get("writer-0"), 20);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(30));
}

// The calls of one window, as "caller>callee" -> count; "" is a call from outside components.
std::map<std::string, std::uint64_t> counts_of(const std::vector<CallEdge>& edges) {
  std::map<std::string, std::uint64_t> counts;
  for (const CallEdge& e : edges) {
    counts[e.caller + ">" + e.callee] += e.calls;
    EXPECT_GT(e.total_ms, 0) << e.caller << ">" << e.callee;
  }
  return counts;
}

TEST_F(Placements, CallMetricsCountEachCallerAndCalleeWhereverTheyRunAndOnlyWhileOn) {
  NodeProcess a(secret_.path());
  Origin origin(Catalog::program(), options());
  Ref<LedgerClient> client = origin.get<LedgerClient>("ledger-client");
  client->add_via("before", 1);
  EXPECT_TRUE(origin.take_call_metrics().empty());  // nothing was measured while it was off
  for (int i = 0; i < 25; ++i) client->add_via("local", 1);
  using Counts = std::map<std::string, std::uint64_t>;
  EXPECT_EQ(counts_of(origin.take_call_metrics()),
            (Counts{{">ledger-client", 25}, {"ledger-client>ledger", 25}}));

  // The client on the node calls the ledger back on the origin: the node measures that edge.
  expect_ok(origin.apply({{"ledger-client", Placement::on(a.address())}}));
  origin.take_call_metrics();
  for (int i = 0; i < 30; ++i) client->add_via("remote", 1);
  EXPECT_EQ(counts_of(origin.take_call_metrics()),
            (Counts{{">ledger-client", 30}, {"ledger-client>ledger", 30}}));

  origin.stop_call_metrics();
  for (int i = 0; i < 5; ++i) client->add_via("off", 1);
  EXPECT_TRUE(origin.take_call_metrics().empty());
}

}  // namespace
}  // namespace hatch::test

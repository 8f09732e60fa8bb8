// Live relocation across real node processes: state moves, callers lose no call.
#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "cluster_test.hpp"
#include "hatch/hatch.hpp"
#include "node_process.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

using Relocation = ClusterTest;

TEST_F(Relocation, AKeyedComponentMovesAroundUnderLoadWithoutLosingOrRepeatingAWrite) {
  NodeProcess a(secret_.path());
  NodeProcess b(secret_.path());
  NodeProcess c(secret_.path());
  Options o = options();
  o.placements["ledger-client"] = c.address();
  Origin origin(Catalog::program(), o);
  Ref<Ledger> ledger = origin.get<Ledger>("ledger");
  Ref<LedgerClient> client = origin.get<LedgerClient>("ledger-client");
  ASSERT_EQ(ledger.binding(), Binding::local());

  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::mutex errors_mu;
  std::vector<std::string> errors;
  auto guarded = [&](auto body) {
    return [&, body] {
      try {
        body();
      } catch (const std::exception& e) {
        std::lock_guard lock(errors_mu);
        errors.push_back(e.what());
      }
    };
  };
  std::vector<std::int64_t> counts(5, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back(guarded([&, t] {
      const std::string key = "thread-" + std::to_string(t);
      while (!stop.load()) {
        // Each key has one writer, so every result is known: a lost write shows as a value
        // too low, a repeated one as too high.
        if (ledger->add(key, 1) != ++counts[t]) ++wrong;
      }
    }));
  }
  threads.emplace_back(guarded([&] {  // calls from a component on another node
    while (!stop.load()) {
      if (client->add_via("from-node", 1) != ++counts[4]) ++wrong;
    }
  }));

  struct Joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~Joiner() {
      stop.store(true);
      for (std::thread& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } joiner{stop, threads};
  const std::string homes[] = {a.address(), b.address(), "origin"};
  int moves = 0;
  std::chrono::microseconds longest{0};
  for (int round = 0; round < 100; ++round) {
    for (const std::string& home : homes) {
      TransitionReport r = origin.relocate("ledger", home);
      ASSERT_TRUE(r.ok) << r.to_string();
      ASSERT_EQ(ledger.binding(), home == "origin" ? Binding::local() : Binding::remote(home));
      longest = std::max(longest, r.pause);
      ++moves;
    }
  }
  stop.store(true);
  for (std::thread& t : threads) t.join();

  for (const std::string& e : errors) ADD_FAILURE() << "a call failed: " << e;
  EXPECT_EQ(moves, 300);
  EXPECT_EQ(wrong.load(), 0);
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(ledger->get("thread-" + std::to_string(t)), counts[t]);
    EXPECT_GT(counts[t], 0) << "thread " << t << " made no call";
  }
  EXPECT_EQ(ledger->get("from-node"), counts[4]);
  EXPECT_EQ(ledger->size(), 5u);
  std::printf("300 moves under load; longest pause %.3f ms; calls: %lld\n",
              longest.count() / 1000.0,
              static_cast<long long>(counts[0] + counts[1] + counts[2] + counts[3] + counts[4]));
}

TEST_F(Relocation, AComponentThatCallsItsDependenciesKeepsWorkingAfterEachMove) {
  NodeProcess a(secret_.path());
  NodeProcess b(secret_.path());
  Options o = options();
  o.placements["ledger"] = b.address();
  Origin origin(Catalog::program(), o);
  Ref<LedgerClient> client = origin.get<LedgerClient>("ledger-client");
  Ref<Ledger> ledger = origin.get<Ledger>("ledger");
  std::int64_t expected = 0;
  for (const std::string& home : {a.address(), b.address(), std::string("origin"), a.address()}) {
    TransitionReport r = origin.relocate("ledger-client", home);
    ASSERT_TRUE(r.ok) << r.to_string();
    EXPECT_EQ(client->where(), home);
    EXPECT_EQ(client->add_via("k", 1), ++expected) << "after moving the client to " << home;
    ASSERT_TRUE(origin.relocate("ledger", home == "origin" ? a.address() : "origin").ok);
    EXPECT_EQ(client->add_via("k", 1), ++expected) << "after moving its dependency";
  }
  EXPECT_EQ(ledger->get("k"), expected);
}

TEST_F(Relocation, ConcurrentMovesRunOneAtATimeAndLoseNothing) {
  NodeProcess a(secret_.path());
  NodeProcess b(secret_.path());
  Origin origin(Catalog::program(), options());
  Ref<Ledger> ledger = origin.get<Ledger>("ledger");
  std::atomic<bool> stop{false};
  std::int64_t count = 0;
  std::atomic<int> wrong{0};
  std::thread caller([&] {
    while (!stop.load()) {
      if (ledger->add("k", 1) != ++count) ++wrong;
    }
  });
  auto mover = [&](std::vector<std::string> homes) {
    int failed = 0;
    for (int i = 0; i < 60; ++i) failed += !origin.relocate("ledger", homes[i % homes.size()]).ok;
    return failed;
  };
  auto first = std::async(std::launch::async, mover,
                          std::vector<std::string>{a.address(), b.address(), "origin"});
  auto second = std::async(std::launch::async, mover,
                           std::vector<std::string>{b.address(), "origin", a.address()});
  const int failed = first.get() + second.get();
  stop.store(true);
  caller.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(ledger->get("k"), count);
}

TEST_F(Relocation, AStatefulComponentTakesItsWholeStateAlong) {
  NodeProcess a(secret_.path());
  Origin origin(Catalog::program(), options());
  Ref<Tally> tally = origin.get<Tally>("tally");
  tally->bump(40);
  TransitionReport there = origin.relocate("tally", a.address());
  ASSERT_TRUE(there.ok) << there.to_string();
  EXPECT_GT(there.state_bytes, 0u);
  EXPECT_EQ(tally->bump(2), 42);
  ASSERT_TRUE(origin.relocate("tally", "local").ok);
  EXPECT_EQ(tally->total(), 42);
  EXPECT_EQ(tally.binding(), Binding::local());
}

// A state from a quarter megabyte up travels as a frame tail that lands in a buffer of its own,
// read as it arrives, which becomes the new instance's state: at a node, at the origin, and
// relayed by the origin between two nodes. Smaller states, and sizes on either side of the
// thresholds of connection_read.cpp, land in the read buffer or in pieces.
TEST_F(Relocation, ALargeStateArrivesIntactAtEveryKindOfHome) {
  NodeProcess a(secret_.path());
  NodeProcess b(secret_.path());
  Origin origin(Catalog::program(), options());
  Ref<BigState> big = origin.get<BigState>("big-state");
  for (const std::uint64_t size : {(256u << 10) - 1, 256u << 10, 1u << 20, 3u << 20}) {
    big->fill(size, 7);
    const std::uint64_t digest = big->digest();
    for (const std::string& home : {a.address(), b.address(), std::string("local"), b.address(),
                                    a.address(), std::string("local")}) {
      TransitionReport r = origin.relocate("big-state", home);
      ASSERT_TRUE(r.ok) << r.to_string();
      EXPECT_GE(r.state_bytes, size);
      EXPECT_EQ(big->digest(), digest) << size << " bytes, after the move to " << home;
    }
  }
}

TEST_F(Relocation, AFailedMoveGivesATakenStateBack) {
  NodeProcess a(secret_.path());
  auto gone = std::make_unique<NodeProcess>(secret_.path());
  const std::string dead = gone->address();
  gone->kill_and_reap(SIGKILL);
  Origin origin(Catalog::program(), options());
  Ref<Tally> tally = origin.get<Tally>("tally");
  tally->bump(5);
  TransitionReport from_origin = origin.relocate("tally", dead);
  EXPECT_FALSE(from_origin.ok);
  EXPECT_EQ(tally->total(), 5) << "the origin's instance got its state back";
  ASSERT_TRUE(origin.relocate("tally", a.address()).ok);
  TransitionReport from_node = origin.relocate("tally", dead);
  EXPECT_FALSE(from_node.ok);
  EXPECT_EQ(tally->bump(1), 6) << "the node's instance got its state back";
  EXPECT_EQ(tally.binding(), Binding::remote(a.address()));
}

TEST_F(Relocation, ACallThatReachesTheOldHomeIsToldWhereTheComponentWent) {
  NodeProcess a(secret_.path());
  NodeProcess b(secret_.path());
  Options o = options();
  o.placements["ledger"] = a.address();
  Origin origin(Catalog::program(), o);
  Ref<Ledger> ledger = origin.get<Ledger>("ledger");  // id 1: the first component created
  ledger->add("k", 5);
  ASSERT_TRUE(origin.relocate("ledger", b.address()).ok);
  try {
    probe_call(secret_.bytes(), a.address(), 1, 1);
    FAIL() << "the old home still served the component";
  } catch (const RemoteError& e) {
    EXPECT_EQ(e.code(), StatusCode::moved);
    EXPECT_EQ(e.detail(), b.address()) << e.what();
  }
  EXPECT_EQ(ledger->get("k"), 5);
  EXPECT_EQ(ledger->where(), b.address());
}

TEST_F(Relocation, KillingTheTargetDuringAMoveLeavesTheComponentAtHomeWithItsState) {
  NodeProcess a(secret_.path());
  NodeProcess doomed(secret_.path());
  Options o = options();
  o.configs["ledger"]["stall_on"] = doomed.address();
  Origin origin(Catalog::program(), o);
  Ref<Ledger> ledger = origin.get<Ledger>("ledger");
  ASSERT_TRUE(origin.relocate("ledger", a.address()).ok);
  ledger->add("k", 7);
  auto move =
      std::async(std::launch::async, [&] { return origin.relocate("ledger", doomed.address()); });
  ASSERT_TRUE(doomed.wait_for_log("ledger: stalling")) << doomed.log();
  // The component is mid-move: created at the target, its gate closed at home.
  auto waiting = std::async(std::launch::async, [&] { return ledger->add("k", 1); });
  doomed.kill_and_reap(SIGKILL);
  TransitionReport r = move.get();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.from, a.address());
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ(waiting.get(), 8) << "the caller saw a delay, not an error";
  EXPECT_EQ(ledger->get("k"), 8);
  EXPECT_EQ(ledger.binding(), Binding::remote(a.address()));
  EXPECT_EQ(ledger->where(), a.address());
}

TEST_F(Relocation, AComponentWhoseNodeDiesFailsItsCallsClearly) {
  auto a = std::make_unique<NodeProcess>(secret_.path());
  const std::string address = a->address();
  Origin origin(Catalog::program(), options());
  Ref<Ledger> ledger = origin.get<Ledger>("ledger");
  ASSERT_TRUE(origin.relocate("ledger", address).ok);
  a->kill_and_reap(SIGKILL);
  EXPECT_THROW(ledger->add("k", 1), RemoteError);
  TransitionReport back = origin.relocate("ledger", "local");
  EXPECT_FALSE(back.ok) << "its state died with the node: there is nothing to move";
}

}  // namespace
}  // namespace hatch::test

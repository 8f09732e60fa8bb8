// Multi-process tests of the transparent RPC layer: real node processes on loopback.
#include <sys/wait.h>

#include <atomic>
#include <csignal>
#include <functional>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "hatch/hatch.hpp"
#include "node_process.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

class RemoteCalls : public ::testing::Test {
 protected:
  Options options_for(const std::string& component, const std::string& where) {
    Options options;
    options.secret = secret_.bytes();
    options.placements[component] = where;
    options.call_timeout = std::chrono::seconds(30);
    return options;
  }

  // Places echo on `node`, calls it, stops the node with SIGTERM, checks that it exited
  // cleanly, and hands the ref to `then` while the origin still runs.
  void stop_with_sigterm(NodeProcess& node, const std::function<void(Ref<Echo>&)>& then) {
    Origin origin(Catalog::program(), options_for("echo", node.address()));
    Ref<Echo> echo = origin.get<Echo>("echo");
    ASSERT_EQ(echo->add(1, 1), 2);
    const int status = node.kill_and_reap(SIGTERM);
    ASSERT_TRUE(WIFEXITED(status)) << "the node died of a signal instead of exiting";
    EXPECT_EQ(WEXITSTATUS(status), 0);
    then(echo);
  }

  SecretFile secret_;
};

TEST_F(RemoteCalls, EverySupportedTypeRoundTrips) {
  NodeProcess node(secret_.path());
  Origin origin(Catalog::program(), options_for("echo", node.address()));
  Ref<Echo> echo = origin.get<Echo>("echo");
  ASSERT_EQ(echo.binding(), Binding::remote(node.address()));
  EXPECT_EQ(echo->where(), node.address());

  EXPECT_EQ(echo->i8(-128), -128);
  EXPECT_EQ(echo->u8(255), 255);
  EXPECT_EQ(echo->i16(-32768), -32768);
  EXPECT_EQ(echo->u16(65535), 65535);
  EXPECT_EQ(echo->i32(-2147483647 - 1), -2147483647 - 1);
  EXPECT_EQ(echo->u32(4294967295u), 4294967295u);
  EXPECT_EQ(echo->i64(std::numeric_limits<std::int64_t>::min()),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(echo->u64(std::numeric_limits<std::uint64_t>::max()),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(echo->f32(1.5f), 1.5f);
  EXPECT_EQ(echo->f64(-2.25e300), -2.25e300);
  EXPECT_TRUE(echo->boolean(true));
  EXPECT_FALSE(echo->boolean(false));
  EXPECT_EQ(echo->text(""), "");
  EXPECT_EQ(echo->text(std::string("a\0b", 3)), std::string("a\0b", 3));
  const std::string big(100000, 'x');
  EXPECT_EQ(echo->text(big), big);
  Bytes bytes{std::byte{0}, std::byte{255}, std::byte{7}};
  EXPECT_EQ(echo->bytes(bytes), bytes);
  EXPECT_EQ(echo->vec({1, -2, 3}), (std::vector<std::int32_t>{1, -2, 3}));
  EXPECT_EQ(echo->vec({}), std::vector<std::int32_t>{});
  const std::map<std::string, std::int64_t> m{{"a", 1}, {"b", -2}};
  EXPECT_EQ(echo->map(m), m);
  const std::unordered_map<std::string, double> um{{"pi", 3.14}, {"e", 2.71}};
  EXPECT_EQ(echo->umap(um), um);
  EXPECT_EQ(echo->opt(std::nullopt), std::nullopt);
  EXPECT_EQ(echo->opt("here"), std::optional<std::string>("here"));
  EXPECT_EQ(echo->pair({7, "seven"}), (std::pair<std::int32_t, std::string>{7, "seven"}));
  EXPECT_EQ(echo->tuple({1, "one", true}),
            (std::tuple<std::int32_t, std::string, bool>{1, "one", true}));
  EXPECT_EQ(echo->variant(Shape{}), Shape{});
  EXPECT_EQ(echo->variant(Shape{std::int64_t{-9}}), Shape{std::int64_t{-9}});
  EXPECT_EQ(echo->variant(Shape{std::string("s")}), Shape{std::string("s")});
  const Shape point_shape = Point{1, 2, "p"};
  EXPECT_EQ(echo->variant(point_shape), point_shape);
  EXPECT_EQ(echo->point(Point{-3, 4, "q"}), (Point{-3, 4, "q"}));
  const std::map<std::string, std::vector<std::optional<Point>>> nested{
      {"a", {Point{1, 1, "x"}, std::nullopt}}, {"b", {}}};
  EXPECT_EQ(echo->nested(nested), nested);
  EXPECT_EQ(echo->concat("a", 5, "b"), "a5b");
  echo->record("first");
  echo->record("second");
  EXPECT_EQ(echo->recorded(), (std::vector<std::string>{"first", "second"}));
}

TEST_F(RemoteCalls, ImplementationExceptionsArriveAsApplicationErrors) {
  NodeProcess node(secret_.path());
  Origin origin(Catalog::program(), options_for("echo", node.address()));
  Ref<Echo> echo = origin.get<Echo>("echo");
  try {
    echo->fail("out_of_range");
    FAIL() << "fail() did not throw";
  } catch (const ApplicationError& e) {
    EXPECT_EQ(e.remote_type(), "std::out_of_range");
    EXPECT_EQ(e.method(), "Echo::fail");
    EXPECT_EQ(e.host(), node.address());
    EXPECT_EQ(e.code(), StatusCode::application_error);
    EXPECT_NE(std::string(e.what()).find("no such key: out_of_range"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("Echo::fail"), std::string::npos) << e.what();
  }
  try {
    echo->fail("int");
    FAIL() << "fail() did not throw";
  } catch (const ApplicationError& e) {
    EXPECT_EQ(e.remote_type(), "unknown");
  }
  // The node keeps serving after exceptions.
  EXPECT_EQ(echo->add(2, 3), 5);
}

TEST_F(RemoteCalls, UnknownComponentOrMethodGetsAClearError) {
  NodeProcess node(secret_.path());
  Origin origin(Catalog::program(), options_for("echo", node.address()));
  try {
    origin.get<Echo>("no-such-component");
    FAIL() << "get() of an unregistered name did not throw";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no component named 'no-such-component'"),
              std::string::npos);
    EXPECT_NE(std::string(e.what()).find("echo"), std::string::npos) << "lists what is registered";
  }
  try {
    origin.get<Store>("echo");
    FAIL() << "get() with the wrong interface did not throw";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("implements Echo, not Store"), std::string::npos)
        << e.what();
  }
  Ref<Echo> echo = origin.get<Echo>("echo");
  ASSERT_EQ(echo->add(1, 1), 2);
  // "echo" is the first component this origin created, so its id is 1.
  EXPECT_THROW(probe_call(secret_.bytes(), node.address(), 9999, 0), UnknownComponent);
  EXPECT_THROW(probe_call(secret_.bytes(), node.address(), 1, 9999), UnknownMethod);
  try {
    probe_call(secret_.bytes(), node.address(), 1, 0);  // Echo::i8 needs one argument
    FAIL() << "a call with missing arguments was accepted";
  } catch (const BadRequest& e) {
    EXPECT_NE(std::string(e.what()).find("takes 1 arguments"), std::string::npos) << e.what();
  }
}

TEST_F(RemoteCalls, KillingTheNodeMidCallFailsThePendingCallFast) {
  auto node = std::make_unique<NodeProcess>(secret_.path());
  const std::string address = node->address();
  Origin origin(Catalog::program(), options_for("echo", address));
  Ref<Echo> echo = origin.get<Echo>("echo");
  Ref<Echo> probe = echo;
  // A call held on the node (it is never released), far beyond the 30 s deadline...
  auto pending = std::async(std::launch::async, [&] { return echo->hold(60000); });
  // ...is running on the node once in_flight() says so.
  while (probe->in_flight() == 0) std::this_thread::yield();
  node->kill_and_reap(SIGKILL);
  try {
    pending.get();
    FAIL() << "the call survived the death of its node";
  } catch (const ConnectionLost& e) {
    // Not DeadlineExceeded: the loss of the connection ended the call, not its deadline.
    EXPECT_EQ(e.method(), "Echo::hold");
    EXPECT_EQ(e.advice(), RetryAdvice::retry_if_idempotent);
    EXPECT_NE(std::string(e.what()).find(address), std::string::npos) << e.what();
  }
  // With the node gone, the next call cannot connect.
  EXPECT_THROW(echo->add(1, 2), Unavailable);
}

TEST_F(RemoteCalls, ASlowCallDoesNotHoldUpOtherCallsOnTheSameConnection) {
  NodeProcess node(secret_.path());
  Origin origin(Catalog::program(), options_for("echo", node.address()));
  Ref<Echo> echo = origin.get<Echo>("echo");
  auto slow = std::async(std::launch::async, [&] {
    try {
      return echo->hold(120000);
    } catch (const ConnectionLost&) {
      return -1;  // the origin closed the connection at the end of the test
    }
  });
  while (echo->in_flight() == 0) std::this_thread::yield();
  // Pipelined bursts from several threads land in the same reads as each other.
  std::vector<std::thread> threads;
  std::atomic<int> right{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) right += echo->add(t, i) == t + i;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(right.load(), 2000);
  EXPECT_EQ(echo->in_flight(), 1) << "the slow call is still running";
  origin.stop();
  EXPECT_EQ(slow.get(), -1);
}

TEST_F(RemoteCalls, ADeadlineScopeBoundsACallAndTheConnectionSurvivesIt) {
  NodeProcess node(secret_.path());
  Origin origin(Catalog::program(), options_for("echo", node.address()));
  Ref<Echo> echo = origin.get<Echo>("echo");
  ASSERT_EQ(echo->add(1, 1), 2);
  {
    DeadlineScope scope(std::chrono::milliseconds(50));
    try {
      echo->hold(20000);  // held until released below: far past the deadline
      FAIL() << "the call outlived its deadline";
    } catch (const DeadlineExceeded& e) {
      EXPECT_EQ(e.method(), "Echo::hold");
      EXPECT_EQ(e.advice(), RetryAdvice::retry_if_idempotent);
    }
  }
  // The late answer, when it comes, is dropped; the connection goes on serving.
  echo->release();
  EXPECT_EQ(echo->add(2, 2), 4);
}

TEST_F(RemoteCalls, ACallersDeadlineBoundsTheCallsItsCalleeMakes) {
  NodeProcess node(secret_.path());  // its own call timeout is the default, 5 s
  Origin origin(Catalog::program(), options_for("relay", node.address()));
  Ref<Relay> relay = origin.get<Relay>("relay");
  // relay (on the node) calls store (on the origin), which reports the deadline it runs under.
  {
    DeadlineScope scope(std::chrono::seconds(2));
    const std::int64_t left = relay->budget_via();
    EXPECT_GT(left, 0);
    EXPECT_LE(left, 2000) << "the nested call got a fresh deadline, not the caller's";
  }
  // Without a scope, the nested call is bound by the node's own 5 s call timeout.
  const std::int64_t unscoped = relay->budget_via();
  EXPECT_GT(unscoped, 2000);
  EXPECT_LE(unscoped, 5000);
}

TEST_F(RemoteCalls, OnlyTheOriginMayOrderAnInstantiate) {
  NodeProcess node(secret_.path());
  Origin origin(Catalog::program(), options_for("echo", node.address()));
  ASSERT_EQ(origin.get<Echo>("echo")->add(1, 1), 2);
  try {
    probe_call(secret_.bytes(), node.address(), 0, 1);  // control: instantiate, as a node
    FAIL() << "a non-origin peer ordered an instantiate";
  } catch (const RemoteError& e) {
    EXPECT_EQ(e.code(), StatusCode::permission_denied) << e.what();
  }
  ASSERT_TRUE(node.wait_for_log("which is not the origin")) << node.log();
}

TEST_F(RemoteCalls, ANodeDrainsThenShutsDownCleanlyOnSigterm) {
  NodeProcess node(secret_.path());
  stop_with_sigterm(node, [&](Ref<Echo>& echo) {
    EXPECT_NE(node.log().find("drained (1 components moved away, 0 could not be); shutting down"),
              std::string::npos)
        << node.log();
    EXPECT_EQ(echo->add(1, 1), 2);  // it moved to the origin before the node left
    EXPECT_EQ(echo->where(), "origin");
  });
}

TEST_F(RemoteCalls, ANodeWithoutADrainTimeoutShutsDownAtOnceOnSigterm) {
  NodeProcess node(secret_.path(), "127.0.0.1:0", {"--hatch-drain-timeout-ms", "0"});
  stop_with_sigterm(node, [&](Ref<Echo>& echo) {
    EXPECT_NE(node.log().find("signal 15 received, shutting down"), std::string::npos)
        << node.log();
    EXPECT_THROW(echo->add(1, 1), RemoteError);
  });
}

TEST_F(RemoteCalls, TheConnectionComesBackOnTheNextCall) {
  auto node = std::make_unique<NodeProcess>(secret_.path());
  const std::string address = node->address();
  Origin origin(Catalog::program(), options_for("echo", address));
  Ref<Echo> echo = origin.get<Echo>("echo");
  ASSERT_EQ(echo->add(1, 2), 3);
  node->kill_and_reap(SIGKILL);
  EXPECT_THROW(echo->add(1, 2), RemoteError);
  // A new node on the same address: the next call connects to it. The new node has no "echo"
  // instance, so reaching it shows as unknown_component, not as unavailable.
  node = std::make_unique<NodeProcess>(secret_.path(), address);
  EXPECT_THROW(echo->add(2, 3), UnknownComponent);
}

TEST_F(RemoteCalls, EightThreadsOfTenThousandConcurrentCallsAllReturnCorrectResults) {
  NodeProcess node(secret_.path());
  Origin origin(Catalog::program(), options_for("echo", node.address()));
  Ref<Echo> echo = origin.get<Echo>("echo");
  constexpr int kThreads = 8;
  constexpr int kCalls = 10000;
  std::atomic<int> wrong{0};
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const std::int64_t a = std::int64_t{t} * 1000000 + i;
        if (echo->add(a, i) != a + i) ++wrong;
        if (i % 97 == 0 && echo->concat("t", t, std::to_string(i)) !=
                               "t" + std::to_string(t) + std::to_string(i)) {
          ++wrong;
        }
        ++done;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(done.load(), kThreads * kCalls);
  EXPECT_EQ(wrong.load(), 0);
}

// A caller that waits reads its own response from a plain socket, beside the I/O threads: small
// calls, large ones (whose rest is read by a chain of its own) and callbacks into the origin
// (requests that arrive where the caller reads, and run on the pool) all complete, from many
// threads at once, and none waits for a read that nobody makes.
TEST_F(RemoteCalls, CallsOfEverySizeAndCallbacksFromManyThreadsAllComplete) {
  NodeProcess node(secret_.path());
  Options o = options_for("echo", node.address());
  o.placements["relay"] = node.address();
  Origin origin(Catalog::program(), o);
  Ref<Echo> echo = origin.get<Echo>("echo");
  Ref<Relay> relay = origin.get<Relay>("relay");
  constexpr int kThreads = 6;
  constexpr int kRounds = 300;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        const std::string key = "k" + std::to_string(t) + "-" + std::to_string(i);
        switch ((t + i) % 3) {
          case 0:
            if (echo->text(key) != key) ++wrong;
            break;
          case 1: {
            // 2 MiB and more: past the size whose rest is read in pieces of its own.
            const std::string big((std::size_t{2} << 20) + static_cast<std::size_t>(i), 'x');
            if (echo->text(big) != big) ++wrong;
            break;
          }
          default:
            relay->put_via(key, key);
            if (relay->get_via(key) != std::optional<std::string>(key)) ++wrong;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_F(RemoteCalls, AComponentOnANodeCallsBackIntoTheOrigin) {
  NodeProcess node(secret_.path());
  Origin origin(Catalog::program(), options_for("relay", node.address()));
  Ref<Relay> relay = origin.get<Relay>("relay");
  Ref<Store> store = origin.get<Store>("store");
  EXPECT_EQ(relay.binding(), Binding::remote(node.address()));
  EXPECT_EQ(store.binding(), Binding::local());
  EXPECT_EQ(relay->where(), node.address());
  relay->put_via("k", "written on the node");
  EXPECT_EQ(store->get("k"), std::optional<std::string>("written on the node"));
  store->put("j", "written on the origin");
  EXPECT_EQ(relay->get_via("j"), std::optional<std::string>("written on the origin"));
}

TEST_F(RemoteCalls, APeerWithAWrongSecretIsRefusedAndLogged) {
  NodeProcess node(secret_.path());
  Options options = options_for("echo", node.address());
  options.secret = "a-different-secret-of-enough-length";
  Origin origin(Catalog::program(), options);
  try {
    origin.get<Echo>("echo");
    FAIL() << "a wrong secret was accepted";
  } catch (const Unauthenticated& e) {
    EXPECT_NE(std::string(e.what()).find("wrong cluster secret"), std::string::npos) << e.what();
  }
  // The node logs the refusal; wait for the line rather than for a time.
  ASSERT_TRUE(node.wait_for_log("refused peer")) << node.log();
  EXPECT_NE(node.log().find("did not prove the cluster secret"), std::string::npos) << node.log();
  // A peer with the right secret is still served.
  Origin good(Catalog::program(), options_for("echo", node.address()));
  EXPECT_EQ(good.get<Echo>("echo")->add(20, 22), 42);
}

TEST_F(RemoteCalls, GarbageFromAnUnauthenticatedPeerDoesNotHurtTheNode) {
  NodeProcess node(secret_.path());
  send_garbage(node.address());
  ASSERT_TRUE(node.wait_for_log("refused peer")) << node.log();
  Origin origin(Catalog::program(), options_for("echo", node.address()));
  EXPECT_EQ(origin.get<Echo>("echo")->add(1, 1), 2);
}

}  // namespace
}  // namespace hatch::test

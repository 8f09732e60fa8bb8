// The transition protocol under faults, in one process: an origin and three nodes over the
// in-memory network (rpc/memory_network.hpp), a writer calling the component throughout.
//
// For every kind of transition, the k-th control operation the origin sends is made to fail,
// for every k: either its request is lost with its stream, or it runs and only its reply is
// lost. Separately, one home is stalled past the call timeout, or cut off, at each step. After
// every run:
//   - no acknowledged write is lost or applied twice (each key has one writer, so its value
//     lies between its acknowledged writes and those plus the ones whose outcome is unknown);
//   - the component is live in exactly one placement: the new one if the report says it moved,
//     the old one otherwise, and the origin's ref is bound to it;
//   - no home is left gated: every key answers writes and reads again, and no repair was needed
//     (only a cut-off home, whose ungate cannot reach it, reopens through its gate's lease);
//   - the directory agrees with the homes: the binding names the placement's homes.
#include <array>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "binding_of.hpp"
#include "hatch/hatch.hpp"
#include "hatch/internal/codec.hpp"
#include "log_watch.hpp"
#include "rpc/cluster_secret.hpp"
#include "rpc/endpoint.hpp"
#include "rpc/io_pool.hpp"
#include "rpc/memory_network.hpp"
#include "runtime/control.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

using rpc::MemoryNetwork;

constexpr int kKeys = 6;
const char* const kSecret = "a cluster secret of the fault tests";

std::string key(int i) {
  return "key-" + std::to_string(i);
}

// An origin and nodes a, b, c in this process, over a network of their own.
struct World {
  explicit World(std::chrono::milliseconds timeout) : net(MemoryNetwork::create()) {
    for (const char* name : {"a", "b", "c"}) {
      NodeOptions o;
      o.listen = std::string(name) + ":0";
      o.secret = kSecret;
      o.io_threads = 8;
      o.call_timeout = timeout;
      o.network = net->host(name);
      nodes.push_back(std::make_unique<Node>(Catalog::program(), o));
    }
    Options o;
    o.secret = kSecret;
    o.io_threads = 8;
    o.call_timeout = timeout;
    o.network = net->host("origin");
    // The faults hit the k-th control operation the origin sends: a heartbeat in between would
    // take a transition's fault, at a time no run can repeat.
    o.heartbeat_interval = std::chrono::milliseconds(0);
    origin = std::make_unique<Origin>(Catalog::program(), o);
  }
  ~World() {
    origin.reset();
    nodes.clear();
  }
  std::string at(const char* name) const {
    return nodes[static_cast<std::size_t>(name[0] - 'a')]->address();
  }
  // Spells a placement with node names: "a", "replicated{a,b}", "local".
  Placement placement(const std::string& spec) const {
    std::string out;
    for (char c : spec) {
      if ((c == 'a' || c == 'b' || c == 'c') && (out.empty() || !std::isalpha(out.back()))) {
        out += at(std::string(1, c).c_str());
      } else {
        out += c;
      }
    }
    return Placement::parse(out);
  }

  std::shared_ptr<MemoryNetwork> net;
  std::vector<std::unique_ptr<Node>> nodes;
  std::unique_ptr<Origin> origin;
};

// What the writer knows: per key, acknowledged writes and writes whose outcome is unknown.
struct Ledger {
  std::array<std::int64_t, kKeys> acked{};
  std::array<std::int64_t, kKeys> unknown{};
  std::string unexpected;  // an error a call must never throw, which stopped the writer
};

// Adds 1 to every key in turn until `stop`; every outcome is recorded.
void write_until(Ref<Counts>& counts, Ledger& ledger, const std::atomic<bool>& stop) {
  for (int i = 0; !stop.load(); i = (i + 1) % kKeys) {
    try {
      counts->add(key(i), 1);
      ++ledger.acked[i];
    } catch (const RemoteError&) {
      ++ledger.unknown[i];
    } catch (const std::exception& e) {
      ledger.unexpected = e.what();
      return;
    }
  }
}

enum class Fault { lose_request, lose_reply, stall_home, cut_home };

const char* name_of(Fault f) {
  switch (f) {
    case Fault::lose_request:
      return "request lost";
    case Fault::lose_reply:
      return "reply lost";
    case Fault::stall_home:
      return "home stalled";
    case Fault::cut_home:
      return "home cut off";
  }
  return "?";
}

struct Outcome {
  int control_operations = 0;       // sent by the origin during the transition
  std::vector<std::uint32_t> sent;  // their operations, in order
  bool moved = false;
};

// Runs `from` -> `to` with a writer running, and the fault at the `fault_at`-th control
// operation (0: none). Checks every invariant; returns how many control operations were sent.
Outcome run(const std::string& from, const std::string& to, int fault_at, Fault fault) {
  SCOPED_TRACE(from + " -> " + to + ", " + name_of(fault) + " at control operation " +
               std::to_string(fault_at));
  const bool slow = fault == Fault::stall_home || fault == Fault::cut_home;
  LogWatch log;
  World world(slow ? std::chrono::milliseconds(1000) : std::chrono::milliseconds(10000));
  Ref<Counts> counts = world.origin->get<Counts>("counts");
  const Placement before = world.placement(from);
  const Placement after = world.placement(to);
  EXPECT_TRUE(world.origin->apply({{"counts", before}}).front().ok);
  Ledger ledger;
  for (int i = 0; i < kKeys; ++i) ledger.acked[i] = counts->add(key(i), 1);

  std::atomic<int> sent{0};
  std::mutex methods_mu;
  std::vector<std::uint32_t> methods;
  std::string faulted;  // the home the fault hit, for stall and cut
  MemoryNetwork& net = *world.net;
  net.set_frame_hook(
      [&](const std::string& source, const std::string& dest, const rpc::FrameHeader& h) {
        if (source != "origin" || h.kind != rpc::FrameKind::request || h.component != 0) {
          return MemoryNetwork::Verdict::pass;
        }
        {
          std::lock_guard lock(methods_mu);
          methods.push_back(h.method);
        }
        if (++sent != fault_at) return MemoryNetwork::Verdict::pass;
        switch (fault) {
          case Fault::lose_request:
            return MemoryNetwork::Verdict::break_before;
          case Fault::lose_reply:
            return MemoryNetwork::Verdict::break_after;
          case Fault::stall_home:
            faulted = dest;
            net.stall(source, dest);
            return MemoryNetwork::Verdict::pass;
          case Fault::cut_home:
            faulted = dest;
            net.cut(source, dest);
            return MemoryNetwork::Verdict::break_before;
        }
        return MemoryNetwork::Verdict::pass;
      });

  std::atomic<bool> stop{false};
  std::thread writer([&] { write_until(counts, ledger, stop); });
  const TransitionReport report = world.origin->apply({{"counts", after}}).front();
  stop = true;
  writer.join();
  net.set_frame_hook({});
  if (!faulted.empty()) {
    net.resume("origin", faulted);
    net.heal("origin", faulted);
  }
  Outcome outcome{sent.load(), methods, report.ok};
  EXPECT_EQ(ledger.unexpected, "") << "a write threw an error that is not a RemoteError";
  if (fault_at == 0) {
    EXPECT_TRUE(report.ok) << report.to_string();
  }

  // One live placement, which the directory and the ref agree on.
  const Placement now = report.ok ? after : before;
  EXPECT_EQ(world.origin->placements().at("counts"), now) << report.to_string();
  EXPECT_EQ(counts.binding(), binding_of(now)) << report.to_string();

  // Every home answers again, and no write was lost or applied twice.
  for (int i = 0; i < kKeys; ++i) {
    const std::int64_t value = counts->add(key(i), 1) - 1;
    EXPECT_GE(value, ledger.acked[i]) << key(i) << " lost an acknowledged write";
    EXPECT_LE(value, ledger.acked[i] + ledger.unknown[i]) << key(i) << " applied one twice";
    // A write whose outcome was unknown may still land later (a stalled home delivers it on
    // resume), so a read sees at least the write just made and at most every write sent.
    for (int read = 0; read < 3; ++read) {
      const std::int64_t seen = counts->get(key(i));
      EXPECT_GE(seen, value + 1) << key(i);
      EXPECT_LE(seen, ledger.acked[i] + ledger.unknown[i] + 1) << key(i);
    }
  }
  if (!slow) {
    EXPECT_EQ(log.count("was gated with no transition running"), 0) << "a home was left gated";
    EXPECT_EQ(log.count("outlived its transition"), 0) << "a home was left gated";
  }
  return outcome;
}

struct Case {
  std::string from;
  std::string to;
};

// Every kind of transition: between single homes, to and from replicas and shards, resharding,
// to and from replicated shards. The faults hit the origin's links, so no replica set has the
// origin as a backup of a node: a node primary that loses the origin drops that backup and
// cannot tell the origin, whose reads then see it stale (docs/guide.md, "Failures").
const std::vector<Case> kCases = {
    {"local", "a"},
    {"a", "b"},
    {"a", "replicated{a,b,c}"},
    {"replicated{a,b,c}", "sharded{a,b}"},
    {"sharded{a,b}", "sharded{a,b,c}"},
    {"sharded{a,b,c}", "replicated{b,c}"},
    {"replicated{b,c}", "local"},
    {"sharded{a,b}", "sharded{replicated{a,b},c,local}"},
    {"sharded{replicated{a,b},c,local}", "sharded{replicated{c,a},b}"},
    {"sharded{replicated{c,a},b}", "replicated{b,c}"},
};

TEST(TransitionFaults, EveryControlOperationOfEveryTransitionMayFailWithoutHarm) {
  int points = 0;
  int moved = 0;
  for (const Case& c : kCases) {
    const int operations = run(c.from, c.to, 0, Fault::lose_request).control_operations;
    ASSERT_GT(operations, 0) << c.from << " -> " << c.to;
    for (int k = 1; k <= operations; ++k) {
      for (Fault f : {Fault::lose_request, Fault::lose_reply}) {
        moved += run(c.from, c.to, k, f).moved;
        ++points;
        if (HasFatalFailure()) return;
      }
    }
  }
  std::printf("transition faults: %d fault points over %zu transitions (%d still moved)\n", points,
              kCases.size(), moved);
  EXPECT_GT(points, 2 * static_cast<int>(kCases.size()));
}

// A stalled home costs call timeouts, so each step (the first operation of each kind: gate,
// export, instantiate, retire, rebind) is hit once, on a move between nodes and a resharding.
TEST(TransitionFaults, AHomeThatStallsOrIsCutOffAtAnyStepLeavesNothingBroken) {
  int points = 0;
  for (const Case& c : {kCases[1], kCases[4]}) {
    const std::vector<std::uint32_t> sent = run(c.from, c.to, 0, Fault::lose_request).sent;
    std::set<std::uint32_t> steps;
    for (std::size_t k = 0; k < sent.size(); ++k) {
      if (!steps.insert(sent[k]).second) continue;
      for (Fault f : {Fault::stall_home, Fault::cut_home}) {
        run(c.from, c.to, static_cast<int>(k + 1), f);
        ++points;
        if (HasFatalFailure()) return;
      }
    }
  }
  std::printf("transition faults: %d stalls and cuts, one per step\n", points);
}

// The primary of a replica set whose gate was lost goes on serving: the origin dropped it from
// the set, gated its backup and takes the state from there. A write that reaches the primary
// then (from a caller that has not learned of the move) runs there, and its backup refuses it:
// the primary must not acknowledge it alone. It answers once the backup's fate is known: `moved`
// to where the component went (the write is not in the state that moved, so the caller makes
// it there); acknowledged by both, when the move is abandoned and the backup reopens; or
// `unavailable`, when the backup stays gated past the primary's patience (three gate leases).
enum class Fate { moved, reopened, outwaited };

void write_to_a_dropped_primary(Fate fate) {
  SCOPED_TRACE(fate == Fate::moved      ? "the move completes"
               : fate == Fate::reopened ? "the move is abandoned"
                                        : "the move outlasts the primary's patience");
  // A gate's lease is two call timeouts, so the patience is six: short for the third case.
  World world(std::chrono::milliseconds(fate == Fate::outwaited ? 2000 : 10000));
  Ref<Counts> counts = world.origin->get<Counts>("counts");
  ASSERT_TRUE(world.origin->apply({{"counts", world.placement("replicated{c,a}")}}).front().ok);
  MemoryNetwork& net = *world.net;
  std::atomic<std::uint32_t> id{0};
  net.set_frame_hook([&](const std::string& from, const std::string& to,
                         const rpc::FrameHeader& h) {
    if (from == "origin" && to == "c" && h.kind == rpc::FrameKind::request && h.component != 0) {
      id = h.component;
    }
    return MemoryNetwork::Verdict::pass;
  });
  ASSERT_EQ(counts->add("k", 1), 1);
  ASSERT_NE(id.load(), 0u);

  // A caller on another host that still knows the replica set, connected to its primary.
  rpc::IoPool pool(1);
  const rpc::ClusterSecret secret = rpc::ClusterSecret::from_bytes(kSecret);
  const auto deadline = [] { return rpc::Clock::now() + std::chrono::seconds(60); };
  const std::shared_ptr<rpc::Connection> caller = rpc::connect(
      *net.host("t"), pool.context(), world.at("c"), secret, rpc::PeerIdentity{"node", "t:1"},
      rpc::ConnectionOptions{},
      [](const std::shared_ptr<rpc::Connection>&, const rpc::FrameHeader&, internal::Payload) {},
      deadline());

  // The gate of the primary c is lost; once the backup a is gated (the origin asks it for the
  // state), the caller's write reaches c. To outwait the primary, a is then cut off from the
  // origin until the write is answered: the move fails, and a's gate stands, as the origin can
  // neither reopen it nor answer its checks.
  std::atomic<bool> sent{false};
  std::atomic<bool> a_cut_off{false};
  std::mutex answered_mu;
  std::condition_variable answered_cv;
  std::optional<StatusCode> answer;
  std::thread write;
  net.set_frame_hook(
      [&](const std::string& from, const std::string& to, const rpc::FrameHeader& h) {
        const bool control = h.kind == rpc::FrameKind::request && h.component == 0;
        if (a_cut_off && control && (from == "a" || to == "a")) {
          return MemoryNetwork::Verdict::break_before;
        }
        if (from != "origin" || !control) return MemoryNetwork::Verdict::pass;
        const auto method = static_cast<runtime::ControlMethod>(h.method);
        if (method == runtime::ControlMethod::gate && to == "c")
          return MemoryNetwork::Verdict::break_before;
        if (method == runtime::ControlMethod::export_state && to == "a" && !sent.exchange(true)) {
          write = std::thread([&] {
            rpc::FrameHeader request;
            request.component = id.load();
            request.method = 0;  // Counts::add
            internal::WireBuffer args;
            internal::pack_args(args, std::string("k"), std::int64_t{1});
            const StatusCode status =
                caller->call(request, std::move(args.bytes()), deadline()).header.status;
            std::lock_guard lock(answered_mu);
            answer = status;
            answered_cv.notify_all();
          });
          if (fate == Fate::outwaited) {
            a_cut_off = true;
            return MemoryNetwork::Verdict::break_before;
          }
        }
        if (fate == Fate::reopened && method == runtime::ControlMethod::instantiate && to == "b") {
          return MemoryNetwork::Verdict::break_before;
        }
        return MemoryNetwork::Verdict::pass;
      });
  const TransitionReport report = world.origin->apply({{"counts", world.placement("b")}}).front();
  {
    std::unique_lock lock(answered_mu);
    answered_cv.wait_for(lock, std::chrono::seconds(90), [&] { return answer.has_value(); });
  }
  net.set_frame_hook({});
  ASSERT_TRUE(sent.load());
  write.join();
  ASSERT_TRUE(answer.has_value());
  ASSERT_EQ(report.ok, fate == Fate::moved) << report.to_string();
  switch (fate) {
    case Fate::moved:
      EXPECT_EQ(*answer, StatusCode::moved) << "acknowledged on the primary alone";
      EXPECT_EQ(counts->get("k"), 1);
      break;
    case Fate::reopened:
      EXPECT_EQ(*answer, StatusCode::ok) << "the backup reopened and took the write";
      for (int read = 0; read < 4; ++read) EXPECT_EQ(counts->get("k"), 2) << "read " << read;
      break;
    case Fate::outwaited:
      // Not acknowledged, as c's backup a never applied it; whether a later read sees it
      // depends on which replica the failover keeps, hence "unavailable": the fate is unknown.
      EXPECT_EQ(*answer, StatusCode::unavailable) << "acknowledged on the primary alone";
      break;
  }
  caller->close("the test is over");
  pool.stop();
}

TEST(TransitionFaults, APrimaryTheOriginDroppedAcknowledgesNoWriteItsGatedBackupRefused) {
  for (Fate fate : {Fate::moved, Fate::reopened, Fate::outwaited}) {
    write_to_a_dropped_primary(fate);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace hatch::test

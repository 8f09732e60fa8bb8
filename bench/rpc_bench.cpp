// Call costs: a virtual call, a local Ref, a remote call to a node process, and a plain TCP
// ping-pong to an echo process of the same sizes, all in one run; remote calls beside that
// ping-pong and beside Cap'n Proto and gRPC echo calls, and over mutual TLS beside plain ones,
// in interleaved rounds (BM_*Pairs).
//
// Latency benchmarks time every call and report p50/p99 (in microseconds) as counters;
// scripts/bench turns them into build/bench/summary.json.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_cluster.hpp"
#include "capnp_peer.hpp"
#include "core/metrics.hpp"
#include "grpc_peer.hpp"
#include "hatch/component.hpp"
#include "hatch/hatch.hpp"
#include "interleaved.hpp"
#include "loopback_peer.hpp"
#include "node_process.hpp"
#include "peer_process.hpp"
#include "raw_peers.hpp"
#include "rpc/connection.hpp"
#include "rpc/endpoint.hpp"
#include "rpc/io_pool.hpp"
#include "temp_certs.hpp"

HATCH_INTERFACE(Calc, (read, std::int64_t, add, (std::int64_t, std::int64_t)),
                (read, std::string, echo, (const std::string&)));

namespace hatch::bench {
namespace {

using Clock = std::chrono::steady_clock;

// What the benchmarks share: one node process, one origin with "calc" on it, one echo server,
// a Cap'n Proto and a gRPC echo server (each a process); and the same cluster again over TLS.
struct World {
  std::unique_ptr<BenchCluster> cluster;
  Ref<Calc> remote;
  std::unique_ptr<LoopbackPeer> echo;          // blocks in read at once
  std::unique_ptr<LoopbackPeer> echo_polling;  // polls first, as a Hatch node does
  std::unique_ptr<PeerProcess> capnp;          // the echo servers of the two RPC libraries
  std::unique_ptr<PeerProcess> grpc;
  std::unique_ptr<test::TempCerts> certs;
  std::unique_ptr<BenchCluster> tls_cluster;
  Ref<Calc> remote_tls;
};
World* world = nullptr;

class Adder final : public Calc {
 public:
  std::int64_t add(std::int64_t a, std::int64_t b) override { return a + b; }
  std::string echo(const std::string& s) override { return s; }
};
HATCH_COMPONENT(Adder, Calc, "calc");

void BM_VirtualCall(benchmark::State& state) {
  Adder adder;
  Calc* echo = &adder;
  std::int64_t x = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(echo);  // hides the dynamic type: a real virtual call
    x = echo->add(x, 1);
  }
  benchmark::DoNotOptimize(x);
}
BENCHMARK(BM_VirtualCall);

// Calls add() through a ref to `cell` for every iteration.
void call_through(benchmark::State& state, std::shared_ptr<BindingCell> cell) {
  Ref<Calc> ref(std::move(cell));
  std::int64_t x = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ref);
    x = ref->add(x, 1);
  }
  benchmark::DoNotOptimize(x);
}

void BM_LocalRefCall(benchmark::State& state) {
  auto adder = std::make_shared<Adder>();
  auto cell = std::make_shared<BindingCell>("adder", Calc::hatch_interface_name);
  cell->bind(adder, static_cast<Calc*>(adder.get()), Binding::local());
  call_through(state, std::move(cell));
}
BENCHMARK(BM_LocalRefCall);

// A local Ref call in a process that keeps metrics: through the counting proxy, before anyone
// has scraped (arg 0: one more indirect call) and after (arg 1: timed and counted per method).
void BM_LocalRefCallCounted(benchmark::State& state) {
  auto metrics = std::make_shared<internal::Metrics>();
  if (state.range(0) != 0) metrics->scraped();
  auto adder = std::make_shared<Adder>();
  auto cell = std::make_shared<BindingCell>("adder", Calc::hatch_interface_name);
  void* self = nullptr;
  auto counter = internal::make_counter<Calc>(
      adder, static_cast<Calc*>(adder.get()),
      std::make_shared<internal::LocalCalls>(metrics, "adder", Calc::hatch_methods.size()), &self);
  cell->bind(std::move(counter), self, Binding::local(), static_cast<Calc*>(adder.get()));
  call_through(state, std::move(cell));
}
BENCHMARK(BM_LocalRefCallCounted)->ArgName("scraped")->Arg(0)->Arg(1);

// Times each iteration of `body` and reports p50/p99 in microseconds.
template <class F>
void timed(benchmark::State& state, F&& body) {
  std::vector<double> us;
  us.reserve(1 << 16);
  for (auto _ : state) {
    const auto t0 = Clock::now();
    body();
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  state.SetBytesProcessed(state.iterations() * state.range(0) * 2);
}

void BM_RemoteCall(benchmark::State& state) {
  const std::string payload(static_cast<std::size_t>(state.range(0)), 'x');
  timed(state, [&] {
    std::string back = world->remote->echo(payload);
    benchmark::DoNotOptimize(back);
  });
}
BENCHMARK(BM_RemoteCall)->Arg(64)->Arg(64 << 10)->UseRealTime()->MinTime(2.0);

// A call of `ref` with `payload`.
std::function<void()> echo_call(Ref<Calc>& ref, const std::string& payload) {
  return [&ref, &payload] {
    std::string back = ref->echo(payload);
    benchmark::DoNotOptimize(back);
  };
}

// Remote calls of 64 B over TLS beside plain ones, in interleaved rounds.
void BM_RemoteCallTlsPairs(benchmark::State& state) {
  constexpr int kCalls = 3000;
  const std::string payload(64, 'x');
  interleaved(state, {{"tls", kCalls, echo_call(world->remote_tls, payload)},
                      {"plain", kCalls, echo_call(world->remote, payload)}});
}
BENCHMARK(BM_RemoteCallTlsPairs)->Iterations(11)->UseRealTime();

// Remote calls beside a plain TCP ping-pong of the same size with an echo process, in
// interleaved rounds, in the two states of the vCPUs: "raw_hot" polls for its reply for as long
// as Hatch's caller spins (100 us) before it blocks, and its echo server polls for the next
// request as long as a Hatch node's I/O leader does (raw_peers.hpp), so both keep their cores awake
// alike; "raw_cold" and its server block at once. And beside the same echo as a unary call of
// the two RPC libraries Hatch is held to (issue 16), each served by a process of its own like
// the node: "capnp" (Cap'n Proto's EzRpcClient, waiting on its kj event loop) and "grpc" (a
// synchronous stub on an insecure channel); neither spins. Hatch's figure is over each.
void BM_RemoteCallPairs(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const int calls = size > 1024 ? 500 : 3000;
  const int hot = connect_loopback(world->echo_polling->port());
  const int cold = connect_loopback(world->echo->port());
  if (hot < 0 || cold < 0) {
    state.SkipWithError("cannot connect to the echo servers");
    return;
  }
  const std::string payload(size, 'x');
  const std::vector<char> out(size, 'x');
  std::vector<char> in(size);
  const auto raw = [&](int fd, std::chrono::microseconds spin) {
    return [&, fd, spin] { raw_round_trip(fd, out, in, spin); };
  };
  // Made here, on the thread that calls: a kj event loop belongs to one thread.
  CapnpEchoClient capnp(world->capnp->port());
  GrpcEchoClient grpc(world->grpc->port());
  interleaved(state, {{"hatch", calls, echo_call(world->remote, payload)},
                      {"raw_hot", calls, raw(hot, rpc::ConnectionOptions{}.spin)},
                      {"raw_cold", calls, raw(cold, std::chrono::microseconds(0))},
                      {"capnp", calls, [&] { capnp.echo(payload); }},
                      {"grpc", calls, [&] { grpc.echo(payload); }}});
  ::close(hot);
  ::close(cold);
}
BENCHMARK(BM_RemoteCallPairs)->Arg(64)->Arg(64 << 10)->Iterations(9)->UseRealTime();

void BM_RawTcpPingPong(benchmark::State& state) {
  const int fd = connect_loopback(world->echo->port());
  if (fd < 0) {
    state.SkipWithError("cannot connect to the echo server");
    return;
  }
  const auto size = static_cast<std::size_t>(state.range(0));
  const std::vector<char> out(size, 'x');
  std::vector<char> in(size);
  timed(state, [&] { raw_round_trip(fd, out, in, std::chrono::microseconds(0)); });
  ::close(fd);
}
BENCHMARK(BM_RawTcpPingPong)->Arg(64)->Arg(64 << 10)->UseRealTime()->MinTime(2.0);

// Two client threads, each keeping `window` calls in flight on the one connection.
void BM_PipelinedCalls(benchmark::State& state) {
  // Built once, by thread 0 of the first run, and kept for later runs.
  static std::unique_ptr<rpc::IoPool> io;
  static std::unique_ptr<rpc::ClusterSecret> secret;
  static std::shared_ptr<rpc::Peer> peer;
  if (state.thread_index() == 0 && !peer) {
    io = std::make_unique<rpc::IoPool>(2);
    secret = std::make_unique<rpc::ClusterSecret>(
        rpc::ClusterSecret::from_bytes(world->cluster->secret.bytes()));
    peer = std::make_shared<rpc::Peer>(
        rpc::tcp_network(), io->context(), world->cluster->addresses.front(), *secret,
        rpc::PeerIdentity{"node", "bench"}, rpc::ConnectionOptions{}, [](auto&&...) {});
  }
  // Let thread 0 finish the setup (Google Benchmark starts the threads together).
  static std::atomic<int> ready{0};
  if (state.thread_index() == 0) ready.store(1);
  while (ready.load() == 0) std::this_thread::yield();
  const std::size_t window = static_cast<std::size_t>(state.range(0));
  constexpr std::uint32_t add = 0;  // Calc::add
  std::shared_ptr<rpc::Connection> connection =
      peer->connection(Clock::now() + std::chrono::seconds(10));
  std::vector<rpc::Connection::PendingCall> calls(window);
  std::int64_t errors = 0;
  for (auto _ : state) {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    connection->cork();  // the window's requests leave in few system calls; finish() uncorks
    for (std::size_t i = 0; i < window; ++i) {
      internal::WireBuffer args;
      internal::pack_args(args, std::int64_t{1}, static_cast<std::int64_t>(i));
      rpc::FrameHeader h;
      h.component = 1;  // "calc", the first component the origin created
      h.method = add;
      calls[i] = connection->begin(h, std::move(args.bytes()), deadline);
    }
    for (std::size_t i = 0; i < window; ++i) {
      if (connection->finish(calls[i]).header.status != StatusCode::ok) ++errors;
    }
  }
  if (errors > 0) state.SkipWithError("some pipelined calls failed");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(window));
  if (state.thread_index() == 0) {
    ready.store(0);
  }
}
BENCHMARK(BM_PipelinedCalls)->Arg(128)->Threads(2)->UseRealTime()->MinTime(2.0);

}  // namespace
}  // namespace hatch::bench

int main(int argc, char** argv) {
  if (int status = hatch::bench::run_peer_if_asked(argc, argv); status >= 0) return status;
  if (int status = hatch::test::run_node_if_asked(argc, argv); status >= 0) return status;
  hatch::bench::World world;
  world.cluster = std::make_unique<hatch::bench::BenchCluster>(
      1, [](hatch::Options& options, const std::vector<std::string>& nodes) {
        options.placements["calc"] = nodes.front();
        options.call_timeout = std::chrono::seconds(30);
      });
  world.remote = world.cluster->origin->get<Calc>("calc");
  world.certs =
      std::make_unique<hatch::test::TempCerts>(std::vector<std::string>{"origin", "node"});
  world.tls_cluster = std::make_unique<hatch::bench::BenchCluster>(
      1,
      [](hatch::Options& options, const std::vector<std::string>& nodes) {
        options.placements["calc"] = nodes.front();
        options.call_timeout = std::chrono::seconds(30);
      },
      world.certs.get());
  world.remote_tls = world.tls_cluster->origin->get<Calc>("calc");
  world.echo = std::make_unique<hatch::bench::LoopbackPeer>(&hatch::bench::serve_echo);
  world.echo_polling =
      std::make_unique<hatch::bench::LoopbackPeer>(&hatch::bench::serve_echo_polling);
  world.capnp = std::make_unique<hatch::bench::PeerProcess>("capnp");
  world.grpc = std::make_unique<hatch::bench::PeerProcess>("grpc");
  hatch::bench::world = &world;
  return hatch::bench::run_benchmarks(argc, argv);
}

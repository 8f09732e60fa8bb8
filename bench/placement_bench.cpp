// Throughput and latency of one keyed component under each placement, in one run: local (the
// direct-call peer), on one node, replicated on three nodes and sharded over three, for a
// read-heavy (95% get, 5% add) and a write-heavy (50/50) mix, all nodes on loopback.
//
// BM_Placement/<mix>/<placement> applies the placement, then has kClients threads make a fixed,
// seeded plan of calls on random keys (the same calls in every run), times each call and reports
// ops_per_s over the whole plan, p50_us/p99_us of the calls and write_p50_us of the writes alone;
// scripts/bench turns them into build/bench/summary.json.
//
// BM_ReplicatedWritePairs holds one caller's replicated write to its remote write, and both to
// their raw floors over loopback TCP, in interleaved rounds.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <latch>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_cluster.hpp"
#include "hatch/hatch.hpp"
#include "interleaved.hpp"
#include "loopback_peer.hpp"
#include "node_process.hpp"
#include "raw_peers.hpp"
#include "rpc/connection.hpp"
#include "test_interfaces.hpp"

namespace hatch::bench {
namespace {

using Clock = std::chrono::steady_clock;

// More clients than this machine's two cores, so that calls overlap and a placement that spreads
// them over nodes can show it; the plan is sized so that the slowest placement takes seconds.
constexpr int kClients = 4;
constexpr int kCallsPerClient = 5000;
// A local call takes about 0.1 us: a plan of the size above would end within 3 ms, so one time
// slice lost to another process on this machine would halve its throughput. Local runs longer.
constexpr int kLocalCallsPerClient = 100 * kCallsPerClient;
constexpr int kKeys = 1000;
constexpr std::uint64_t kSeed = 20240604;

struct World {
  std::unique_ptr<BenchCluster> cluster;
  Ref<Counts> counts;
  std::vector<std::string> keys;
  // The raw floors of BM_ReplicatedWritePairs: two backups, a primary that forwards to both,
  // and a plain echo server, each a process.
  std::vector<std::unique_ptr<LoopbackPeer>> raw_backups;
  std::unique_ptr<LoopbackPeer> raw_primary;
  std::unique_ptr<LoopbackPeer> raw_echo;
};
World* world = nullptr;

struct Mix {
  const char* name;
  int read_percent;
};
constexpr Mix kMixes[] = {{"read_heavy", 95}, {"write_heavy", 50}};

struct Call {
  std::uint32_t key;
  bool read;
};

// Drawn before the clock starts, so that only the calls are timed.
std::vector<Call> plan(std::uint64_t seed, int read_percent, int length) {
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<std::uint32_t> key(0, kKeys - 1);
  std::uniform_int_distribution<int> percent(0, 99);
  std::vector<Call> calls(length);
  for (Call& c : calls) c = {key(random), percent(random) < read_percent};
  return calls;
}

struct ClientRun {
  std::vector<double> latencies_us;
  std::vector<double> write_latencies_us;  // the writes' share of latencies_us
  Clock::time_point start;
  Clock::time_point end;
  std::int64_t writes = 0;
  std::string error;  // the first call that failed, if any
};

ClientRun run_client(Ref<Counts> counts, const std::vector<Call>& calls, std::latch& go) {
  ClientRun run;
  run.latencies_us.reserve(calls.size());
  go.arrive_and_wait();
  run.start = Clock::now();
  try {
    for (const Call& c : calls) {
      const auto t0 = Clock::now();
      const std::int64_t n =
          c.read ? counts->get(world->keys[c.key]) : counts->add(world->keys[c.key], 1);
      const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
      run.latencies_us.push_back(us);
      if (!c.read) run.write_latencies_us.push_back(us);
      benchmark::DoNotOptimize(n);
      run.writes += c.read ? 0 : 1;
    }
  } catch (const std::exception& e) {
    run.error = e.what();
  }
  run.end = Clock::now();
  return run;
}

// What one run of the clients' plans made of "counts", wherever it is placed.
struct MixRun {
  std::string error;  // the first call that failed, or a total that miscounts; else empty
  double seconds = 0;
  double ops_per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
  double write_p50_us = 0;
};

// Runs `plans`, a thread each, all starting together, and checks that the total counts every
// acknowledged add once, wherever the entries live.
MixRun run_mix(const std::vector<std::vector<Call>>& plans) {
  MixRun out;
  const std::int64_t total_before = world->counts->total();
  std::vector<ClientRun> runs(plans.size());
  std::latch go(static_cast<std::ptrdiff_t>(plans.size()));
  std::vector<std::thread> clients;
  for (std::size_t i = 0; i < plans.size(); ++i) {
    clients.emplace_back([&, i] { runs[i] = run_client(world->counts, plans[i], go); });
  }
  for (std::thread& t : clients) t.join();
  std::vector<double> us;
  std::vector<double> write_us;
  std::int64_t writes = 0;
  Clock::time_point start = runs.front().start;
  Clock::time_point end = runs.front().end;
  for (const ClientRun& run : runs) {
    if (!run.error.empty()) {
      out.error = "a call failed: " + run.error;
      return out;
    }
    us.insert(us.end(), run.latencies_us.begin(), run.latencies_us.end());
    write_us.insert(write_us.end(), run.write_latencies_us.begin(), run.write_latencies_us.end());
    writes += run.writes;
    start = std::min(start, run.start);
    end = std::max(end, run.end);
  }
  if (const std::int64_t total = world->counts->total(); total != total_before + writes) {
    out.error = "the total is " + std::to_string(total) + " after " + std::to_string(writes) +
                " adds to " + std::to_string(total_before);
    return out;
  }
  out.seconds = std::chrono::duration<double>(end - start).count();
  std::sort(us.begin(), us.end());
  out.ops_per_s = static_cast<double>(us.size()) / out.seconds;
  out.p50_us = us[us.size() / 2];
  out.p99_us = us[us.size() * 99 / 100];
  std::sort(write_us.begin(), write_us.end());
  out.write_p50_us = write_us.empty() ? 0 : write_us[write_us.size() / 2];
  return out;
}

std::vector<std::vector<Call>> plans_of(const Mix& mix, int length) {
  std::vector<std::vector<Call>> plans;
  for (int i = 0; i < kClients; ++i) plans.push_back(plan(kSeed + i, mix.read_percent, length));
  return plans;
}

// Puts "counts" at `placement`; false, with the benchmark skipped, when that failed.
bool place_counts(benchmark::State& state, const Placement& placement) {
  for (const TransitionReport& r : world->cluster->origin->apply({{"counts", placement}})) {
    if (!r.ok) {
      state.SkipWithError(("apply failed: " + r.to_string()).c_str());
      return false;
    }
  }
  return true;
}

void BM_Placement(benchmark::State& state, const Placement& placement, const Mix& mix) {
  if (!place_counts(state, placement)) return;
  const auto plans = plans_of(
      mix, placement.kind == Placement::Kind::local ? kLocalCallsPerClient : kCallsPerClient);
  for (auto _ : state) {
    const MixRun run = run_mix(plans);
    if (!run.error.empty()) {
      state.SkipWithError(run.error.c_str());
      return;
    }
    state.SetIterationTime(run.seconds);
    state.counters["ops_per_s"] = run.ops_per_s;
    state.counters["p50_us"] = run.p50_us;
    state.counters["p99_us"] = run.p99_us;
    state.counters["write_p50_us"] = run.write_p50_us;
  }
}

// The write-heavy mix with "counts" on the first node and replicated on the three, in
// interleaved rounds, the placement going first alternating: a run of one placement after a
// run of the other would compare two moments of this machine, whose latency is bimodal. Each
// round moves "counts" (untimed) and runs the same plans. Counters: remote_ and
// replicated_write_p50_us (the median of the rounds) and replicated_over_remote_median, _min and
// _max, the rounds' ratios of the write p50s; pairs.
void BM_WriteHeavyPairs(benchmark::State& state) {
  const std::vector<std::string>& nodes = world->cluster->addresses;
  const std::pair<const char*, Placement> sides[] = {{"remote", Placement::on(nodes.front())},
                                                     {"replicated", Placement::replicated(nodes)}};
  const auto plans = plans_of(kMixes[1], kCallsPerClient);
  std::vector<double> p50[2];
  std::vector<double> ratios;
  for (auto _ : state) {
    double round[2] = {};
    for (std::size_t k = 0; k < 2; ++k) {
      const std::size_t s = (k + ratios.size()) % 2;
      if (!place_counts(state, sides[s].second)) return;
      const MixRun run = run_mix(plans);
      if (!run.error.empty()) {
        state.SkipWithError(run.error.c_str());
        return;
      }
      round[s] = run.write_p50_us;
      p50[s].push_back(run.write_p50_us);
    }
    ratios.push_back(round[1] / round[0]);
  }
  for (std::size_t s = 0; s < 2; ++s) {
    state.counters[std::string(sides[s].first) + "_write_p50_us"] = median(p50[s]);
  }
  report_ratios(state, "replicated_over_remote", ratios);
  state.counters["pairs"] = static_cast<double>(ratios.size());
}

// One caller's writes, in interleaved rounds: "replicated" adds to "counts", replicated on the
// three nodes, and "remote" to "ledger", on the first node alone. Beside them their raw floors
// over loopback TCP, each server polling as a node does (raw_peers.hpp): "raw_chain", a primary
// that forwards the client's 64 bytes to two backups in parallel and answers once both have
// echoed them, and "raw_echo", a server that answers at once. The write-heavy mix above has four
// callers on two cores, which it saturates; with one, the ratios show the path's own costs, and
// raw_chain_over_raw_echo is what a replicated write costs over a remote one on this machine
// before any work of Hatch's.
void BM_ReplicatedWritePairs(benchmark::State& state) {
  const std::vector<std::string>& nodes = world->cluster->addresses;
  Ref<Ledger> ledger = world->cluster->origin->get<Ledger>("ledger");
  for (const TransitionReport& r : world->cluster->origin->apply(
           {{"counts", Placement::replicated(nodes)}, {"ledger", Placement::on(nodes.front())}})) {
    if (!r.ok) {
      state.SkipWithError(("apply failed: " + r.to_string()).c_str());
      return;
    }
  }
  const int chain = connect_loopback(world->raw_primary->port());
  const int echo = connect_loopback(world->raw_echo->port());
  if (chain < 0 || echo < 0) {
    state.SkipWithError("cannot connect to the raw servers");
    return;
  }
  constexpr int kCalls = 2000;
  const std::vector<char> out(64, 'x');
  std::vector<char> in(out.size());
  const auto spin = rpc::ConnectionOptions{}.spin;
  std::size_t next = 0;
  const auto key = [&]() -> const std::string& { return world->keys[next++ % world->keys.size()]; };
  interleaved(
      state,
      {{"replicated", kCalls, [&] { benchmark::DoNotOptimize(world->counts->add(key(), 1)); }},
       {"remote", kCalls, [&] { benchmark::DoNotOptimize(ledger->add(key(), 1)); }},
       {"raw_chain", kCalls, [&] { raw_round_trip(chain, out, in, spin); }},
       {"raw_echo", kCalls, [&] { raw_round_trip(echo, out, in, spin); }}},
      {{2, 3}, {1, 3}});
  ::close(chain);
  ::close(echo);
}

}  // namespace
}  // namespace hatch::bench

int main(int argc, char** argv) {
  if (int status = hatch::test::run_node_if_asked(argc, argv); status >= 0) return status;
  using hatch::Placement;
  namespace bench = hatch::bench;
  bench::World world;
  world.cluster = std::make_unique<bench::BenchCluster>(
      3, [](hatch::Options& options, const std::vector<std::string>&) {
        options.call_timeout = std::chrono::seconds(30);
      });
  world.counts = world.cluster->origin->get<Counts>("counts");
  for (int i = 0; i < bench::kKeys; ++i) {
    world.keys.push_back("key-" + std::to_string(i));
    world.counts->add(world.keys.back(), 1);
  }
  std::vector<std::uint16_t> backup_ports;
  for (int i = 0; i < 2; ++i) {
    world.raw_backups.push_back(std::make_unique<bench::LoopbackPeer>(&bench::serve_echo_polling));
    backup_ports.push_back(world.raw_backups.back()->port());
  }
  world.raw_primary = std::make_unique<bench::LoopbackPeer>(
      [backup_ports](int fd) { bench::serve_chain_primary(fd, backup_ports); });
  world.raw_echo = std::make_unique<bench::LoopbackPeer>(&bench::serve_echo_polling);
  bench::world = &world;
  const std::vector<std::string>& nodes = world.cluster->addresses;
  const std::pair<const char*, Placement> placements[] = {
      {"local", Placement::local()},
      {"remote", Placement::on(nodes.front())},
      {"replicated", Placement::replicated(nodes)},
      {"sharded", Placement::sharded(nodes)},
  };
  // Placement by placement, so that each takes one transition for both mixes.
  for (const auto& [name, placement] : placements) {
    for (const bench::Mix& mix : bench::kMixes) {
      benchmark::RegisterBenchmark((std::string("BM_Placement/") + mix.name + "/" + name).c_str(),
                                   [&placement = placement, &mix](benchmark::State& state) {
                                     bench::BM_Placement(state, placement, mix);
                                   })
          ->Iterations(1)
          ->UseManualTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::RegisterBenchmark("BM_WriteHeavyPairs", bench::BM_WriteHeavyPairs)
      ->Iterations(9)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_ReplicatedWritePairs", bench::BM_ReplicatedWritePairs)
      ->Iterations(9)
      ->UseRealTime();
  return bench::run_benchmarks(argc, argv);
}

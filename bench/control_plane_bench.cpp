// The scale of the control plane (issue 15): what the origin's own work costs as the node count
// grows, for 1, 4, 16 and 32 idle node processes on loopback.
//
// BM_Learner/N: the learner's compute per window, with no network. The design space of five
//   of the tests' components (stateless, stateful and keyed ones) over N nodes comes from the
//   catalog (design/catalog_space.hpp), and a Learner with the autopilot's default options runs
//   kWindows windows on it. The windows come from a small made-up workload (hosts of different
//   speeds that slow down as components share them, a hop to pay for leaving the origin, sets
//   that spread the work with diminishing returns, 3% noise); it exists only to make the
//   learner explore and accept as it would live. That run is recorded, then replayed into a
//   fresh learner, which proposes the same designs (it is deterministic, and the replay checks
//   it), and the replay is timed as a whole in this thread's CPU time: learner_mean_us is its
//   propose() plus observe() per window, the rare costly windows (a sweep's start, a group
//   turn) counted at their share, with neither the workload's arithmetic nor the clock in it
//   (timing each window would cost more than the window: that clock is a system call). The
//   space's and the learner's construction are reported beside it (space_build_ms,
//   learner_build_ms). A component has 2^(N+1) - 1 options, 8.6 billion on 32 nodes, none of
//   them listed: the space turns an option's index into its placement on demand.
//
// BM_Apply/N and BM_Gather/N run against an origin with N node processes started from this
// binary, once per count (the cluster of the previous count is stopped and its nodes reaped
// first). Before anything is timed the origin has dialled every node: one tiny stateful
// component (a journal of the tests) is placed on each, and every node's connection is checked.
//
// BM_Apply/N: each iteration moves the stateful "big-state" (1 KiB) once with Origin::relocate,
//   from the origin to the first node or back, and is timed from outside around the call
//   (apply_p50_ms; real_time is the mean). directory_p50_ms is the p50 of the same moves'
//   "push directory" step, which the transition report times itself: the origin committing the
//   new placement and sending the rebind to every node it has dialled, all at once, until the
//   last one answers (push_directory in src/runtime/origin.cpp). It comes after the pause,
//   callers no longer wait for it, but relocate returns only once it is done, so it is part of
//   apply_ms. Taking it from the report, rather than apply_ms(N) - apply_ms(1), measures the
//   push alone, in the same moves, without the subtraction of two noisy figures; the growth of
//   apply_ms shows the rest. pause_p50_ms is beside them.
// BM_Gather/N: each iteration is one Origin::take_call_metrics(), which asks every node it has
//   dialled for the calls it measured (idle nodes: none) and merges them (gather_p50_ms;
//   real_time is the mean). One take before the loop turns the timing on everywhere.
// Both report the CPU time used per move or gather by the origin (this process, the benchmark's
//   own thread included) and by all N nodes together: cpu_ms_per_move_origin and _nodes,
//   cpu_ms_per_gather_origin and _nodes, from /proc/PID/task/*/schedstat, heartbeats that fall
//   in the loop included. Here N + 1 processes share two cores, so the nodes' part, which N
//   hosts would run side by side, is paid one core at a time; the origin's part would remain.
//
// scripts/bench writes the JSON to build/bench/control_plane_bench.json, and
// scripts/bench_summary.py turns it into control_<figure>_n<N> keys of summary.json and a
// table with the growth from 1 node to 32.
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_cluster.hpp"
#include "design/catalog_space.hpp"
#include "hatch/autopilot.hpp"
#include "hatch/hatch.hpp"
#include "learn/learner.hpp"
#include "node_process.hpp"
#include "perception/reward.hpp"
#include "test_interfaces.hpp"

namespace hatch::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kCounts[] = {1, 4, 16, 32};
constexpr std::size_t kMaxNodes = 32;
constexpr int kWindows = 300;  // learner windows per count, as `hatch sim` runs by default
constexpr int kMoves = 60;     // moves per count: 30 there and back
constexpr int kGathers = 100;
constexpr std::uint64_t kStateBytes = 1 << 10;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// The CPU time this thread has used, in microseconds: what the learner computes, without the
// moments another process on this machine takes the core.
double thread_cpu_us() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

// The CPU time every thread of process `pid` has run so far, in ms (/proc/PID/task/*/schedstat,
// in ns); "self" for this process.
double process_cpu_ms(const std::string& pid) {
  double ns = 0;
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + pid + "/task", error)) {
    std::ifstream in(task.path() / "schedstat");
    double run = 0;
    if (in >> run) ns += run;
  }
  return ns / 1e6;
}

double p50(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// ---------------------------------------------------------------------------------------------
// The learner, without a network.

// The components of the learner's space: one stateless, two stateful, two keyed (sharded sets).
const std::vector<std::string> kLearnerComponents = {"echo", "tally", "counts", "big-state",
                                                     "blobs"};
// Work per request of each component, in ms on a host of speed 1.
constexpr double kWork[] = {0.3, 0.8, 0.6, 0.4, 1.0};

// Windows of a made-up system for the learner to learn (see the header). Deterministic for a
// seed.
class SyntheticWorkload {
 public:
  SyntheticWorkload(const DesignSpace& space, std::uint64_t seed) : space_(space), rng_(seed) {
    const std::size_t hosts = space.hosts().size() + 1;
    std::uniform_real_distribution<double> speed(0.6, 1.4);
    slowness_.push_back(1.0);  // the origin
    for (std::size_t h = 1; h < hosts; ++h) slowness_.push_back(speed(rng_));
  }

  // The expected latency of each component's calls under `choice`, as its callers see them.
  std::vector<double> component_ms(const Choice& choice) const {
    std::vector<int> load(slowness_.size(), 0);
    for (std::size_t c = 0; c < choice.size(); ++c) {
      for (std::uint8_t h : space_.option_hosts(c, choice[c])) ++load[h];
    }
    std::vector<double> ms;
    for (std::size_t c = 0; c < choice.size(); ++c) {
      const std::vector<std::uint8_t>& hosts = space_.option_hosts(c, choice[c]);
      double work = 0;
      bool remote = false;
      for (std::uint8_t h : hosts) {
        work += slowness_[h] * (1 + 0.25 * (load[h] - 1));
        remote = remote || h != 0;
      }
      const double k = static_cast<double>(hosts.size());
      ms.push_back(kWork[c] * work / k / std::sqrt(k) + (remote ? 0.08 : 0) + 0.02 * (k - 1));
    }
    return ms;
  }

  // The expected latency at the entry: 0.1 ms of its own, plus every component's calls.
  double mean_ms(const Choice& choice) const { return entry_ms(component_ms(choice)); }

  // One window of `seconds` at 1000 requests per second: the first component is the entry,
  // which calls each of the others once per request.
  Window window(const Choice& choice, double seconds) {
    constexpr double kRate = 1000;
    std::normal_distribution<double> noise(0, 0.03 / std::sqrt(std::max(seconds, 0.1)));
    std::vector<double> ms = component_ms(choice);
    for (double& m : ms) m *= std::max(0.5, 1 + noise(rng_));
    const double entry = entry_ms(ms);
    Window w;
    w.seconds = seconds;
    w.throughput_rps = kRate;
    w.entry = LatencySummary{static_cast<std::uint64_t>(kRate * seconds), entry, 0.9 * entry,
                             1.6 * entry, 2.2 * entry};
    for (std::size_t c = 0; c < ms.size(); ++c) {
      const double own = c == 0 ? entry : ms[c];
      w.components.push_back(ComponentWindow{
          space_.component(c).name, kRate,
          LatencySummary{w.entry.count, own, 0.9 * own, 1.6 * own, 2.2 * own}, 64, 64});
      if (c > 0) w.edges.push_back(EdgeWindow{0, c, kRate, 128, ms[c]});
    }
    return w;
  }

 private:
  static double entry_ms(const std::vector<double>& component_ms) {
    double sum = 0.1;
    for (double ms : component_ms) sum += ms;
    return sum;
  }

  const DesignSpace& space_;
  std::mt19937_64 rng_;
  std::vector<double> slowness_;  // per host, the origin first: ms per unit of work
};

// The learner's options as hatch::App's autopilot sets them by default
// (src/autopilot/autopilot.cpp).
LearnerOptions live_learner_options() {
  const AutopilotOptions live;
  LearnerOptions o;
  o.seed = live.seed;
  o.accept_sigmas = live.accept_sigmas;
  o.noise_floor = live.noise_floor;
  o.exploration_budget = live.exploration_budget;
  o.horizon_seconds = live.move_horizon_seconds;
  o.window.initial_seconds = live.window_initial_seconds;
  o.window.min_seconds = live.window_min_seconds;
  o.window.max_seconds = live.window_max_seconds;
  return o;
}

// A learning run recorded: what the learner proposed and what it was shown.
struct Recording {
  std::vector<Choice> choices;
  std::vector<Window> windows;
  std::vector<double> rewards;
  double converged_at = 0;  // the first window after which it was converged; 0: never
  double best_over_local = 0;
};

Recording record_run(const DesignSpace& space) {
  Learner learner(space, live_learner_options());
  const Choice all_local(space.component_count(), 0);
  SyntheticWorkload workload(space, 15);
  const RewardFunction reward({.cap_ms = 2 * workload.mean_ms(all_local)});
  Recording run;
  for (int i = 0; i < kWindows; ++i) {
    run.choices.push_back(learner.propose());
    run.windows.push_back(workload.window(run.choices.back(), learner.window_seconds()));
    run.rewards.push_back(reward(run.windows.back().entry));
    learner.observe(run.choices.back(), run.windows.back(), run.rewards.back());
    if (run.converged_at == 0 && learner.converged()) run.converged_at = i + 1;
  }
  run.best_over_local = workload.mean_ms(learner.best()) / workload.mean_ms(all_local);
  return run;
}

// One iteration replays a recorded run of kWindows windows into a fresh learner, which proposes
// the same designs (it is deterministic), and is timed in this thread's CPU time as a whole:
// timing each window would cost more than the window (the clock is a system call here).
void BM_Learner(benchmark::State& state) {
  const auto nodes = static_cast<std::size_t>(state.range(0));
  std::vector<std::string> hosts;
  for (std::size_t i = 0; i < nodes; ++i) hosts.push_back("127.0.0.1:" + std::to_string(7001 + i));
  const Clock::time_point built = Clock::now();
  std::unique_ptr<DesignSpace> space;
  try {
    space =
        std::make_unique<DesignSpace>(catalog_space(Catalog::program(), kLearnerComponents, hosts));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  const double space_ms = ms_since(built);
  const Recording run = record_run(*space);
  double cpu_us = 0;
  double wall_us = 0;
  double learner_ms = 0;
  for (auto _ : state) {
    const Clock::time_point made = Clock::now();
    Learner learner(*space, live_learner_options());
    learner_ms = ms_since(made);
    const double t0 = thread_cpu_us();
    const Clock::time_point w0 = Clock::now();
    bool same = true;
    for (int i = 0; i < kWindows; ++i) {
      same = learner.propose() == run.choices[i] && same;
      learner.observe(run.choices[i], run.windows[i], run.rewards[i]);
    }
    wall_us = ms_since(w0) * 1000;
    cpu_us = thread_cpu_us() - t0;
    if (!same) {
      state.SkipWithError("the replayed learner proposed other designs than the recorded one");
      return;
    }
    state.SetIterationTime(cpu_us / 1e6);
  }
  state.counters["learner_mean_us"] = cpu_us / kWindows;
  state.counters["learner_wall_mean_us"] = wall_us / kWindows;
  state.counters["windows"] = kWindows;
  state.counters["space_build_ms"] = space_ms;
  state.counters["learner_build_ms"] = learner_ms;
  state.counters["log10_designs"] = space->log10_size();
  state.counters["converged_at"] = run.converged_at;
  // The expected latency of the learner's best design over all local's: below 1, it learned.
  state.counters["best_over_local"] = run.best_over_local;
}
BENCHMARK(BM_Learner)
    ->Arg(1)
    ->Arg(4)
    ->Arg(16)
    ->Arg(32)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------------------------------------
// The origin with N nodes.

// The pids of the nodes alive now, for a signal that ends this process (an abort included): the
// nodes die with it.
std::array<std::atomic<pid_t>, kMaxNodes> live_pids{};

void kill_nodes_and_stop(int signal) {
  for (std::atomic<pid_t>& pid : live_pids) {
    if (const pid_t p = pid.load(); p > 0) ::kill(p, SIGKILL);
  }
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

// The cluster of the count being measured: made when a benchmark asks for another count, after
// the previous one has stopped (its origin resigns, its nodes are killed and reaped).
struct Clusters {
  std::unique_ptr<BenchCluster> cluster;
  std::size_t count = 0;
  std::string error;  // why the cluster of `count` is unusable, if it is

  void reset() {
    for (std::atomic<pid_t>& pid : live_pids) pid = 0;
    cluster.reset();
    count = 0;
    error.clear();
  }

  // The cluster of `n` nodes, every one dialled and holding a journal, "big-state" filled on
  // the origin; null with `error` set if that could not be done.
  BenchCluster* of(std::size_t n) {
    if (count == n) return error.empty() ? cluster.get() : nullptr;
    reset();
    count = n;
    try {
      cluster =
          std::make_unique<BenchCluster>(n, [](Options& options, const std::vector<std::string>&) {
            options.call_timeout = std::chrono::seconds(30);
          });
      for (std::size_t i = 0; i < n; ++i) live_pids[i] = cluster->nodes[i]->pid();
      Origin& origin = *cluster->origin;
      Design journals;
      for (std::size_t i = 0; i < n; ++i) {
        journals[test::journal_name(static_cast<int>(i))] = Placement::on(cluster->addresses[i]);
      }
      for (const TransitionReport& r : origin.apply(journals)) {
        if (!r.ok) throw std::runtime_error("placing a journal failed: " + r.to_string());
      }
      std::size_t connected = 0;
      for (const Origin::NodeLink& link : origin.nodes()) connected += link.connected ? 1 : 0;
      if (connected != n) {
        throw std::runtime_error("the origin is connected to " + std::to_string(connected) +
                                 " nodes of " + std::to_string(n));
      }
      origin.get<BigState>("big-state")->fill(kStateBytes, 1);
    } catch (const std::exception& e) {
      error = e.what();
      return nullptr;
    }
    return cluster.get();
  }
};
Clusters* clusters = nullptr;

// The CPU time the origin (this process) and the nodes of `cluster`, together, have used so
// far, in ms.
struct ClusterCpu {
  double origin_ms = 0;
  double nodes_ms = 0;

  static ClusterCpu of(const BenchCluster& cluster) {
    ClusterCpu cpu{process_cpu_ms("self"), 0};
    for (const auto& node : cluster.nodes)
      cpu.nodes_ms += process_cpu_ms(std::to_string(node->pid()));
    return cpu;
  }
  // Per operation since `before`, as counters named <prefix>_origin and <prefix>_nodes.
  void count_since(const ClusterCpu& before, std::size_t operations, const std::string& prefix,
                   benchmark::State& state) const {
    const auto n = static_cast<double>(operations);
    state.counters[prefix + "_origin"] = (origin_ms - before.origin_ms) / n;
    state.counters[prefix + "_nodes"] = (nodes_ms - before.nodes_ms) / n;
  }
};

// Runs `measure`, making an exception its benchmark's error: one that left main would leave the
// nodes running.
void guarded(benchmark::State& state, void (*measure)(benchmark::State&)) {
  try {
    measure(state);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void measure_apply(benchmark::State& state) {
  BenchCluster* cluster = clusters->of(static_cast<std::size_t>(state.range(0)));
  if (cluster == nullptr) {
    state.SkipWithError(clusters->error.c_str());
    return;
  }
  Origin& origin = *cluster->origin;
  Ref<BigState> big = origin.get<BigState>("big-state");
  const std::uint64_t digest = big->digest();
  std::vector<double> applies;
  std::vector<double> pushes;
  std::vector<double> pauses;
  bool there = false;
  const ClusterCpu cpu_before = ClusterCpu::of(*cluster);
  for (auto _ : state) {
    const Clock::time_point t0 = Clock::now();
    const TransitionReport r =
        origin.relocate("big-state", there ? "local" : cluster->addresses.front());
    const double ms = ms_since(t0);
    if (!r.ok) {
      state.SkipWithError(("the move failed: " + r.to_string()).c_str());
      return;
    }
    there = !there;
    state.SetIterationTime(ms / 1000);
    applies.push_back(ms);
    pauses.push_back(r.pause.count() / 1000.0);
    for (const TransitionStep& step : r.steps) {
      if (step.name == "push directory") pushes.push_back(step.duration.count() / 1000.0);
    }
  }
  const ClusterCpu cpu_after = ClusterCpu::of(*cluster);
  if (pushes.size() != applies.size()) {
    state.SkipWithError("a transition report has no 'push directory' step");
    return;
  }
  if (big->digest() != digest) {
    state.SkipWithError("the state did not survive the moves");
    return;
  }
  state.counters["apply_p50_ms"] = p50(applies);
  state.counters["directory_p50_ms"] = p50(pushes);
  state.counters["pause_p50_ms"] = p50(pauses);
  cpu_after.count_since(cpu_before, applies.size(), "cpu_ms_per_move", state);
  state.counters["nodes"] = static_cast<double>(origin.nodes().size());
}

void measure_gather(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  BenchCluster* cluster = clusters->of(n);
  if (cluster == nullptr) {
    state.SkipWithError(clusters->error.c_str());
    return;
  }
  Origin& origin = *cluster->origin;
  static_cast<void>(origin.take_call_metrics());  // turns the timing on, here and on every node
  std::vector<double> gathers;
  const ClusterCpu cpu_before = ClusterCpu::of(*cluster);
  for (auto _ : state) {
    const Clock::time_point t0 = Clock::now();
    const std::vector<CallEdge> edges = origin.take_call_metrics();
    const double ms = ms_since(t0);
    benchmark::DoNotOptimize(edges.data());
    state.SetIterationTime(ms / 1000);
    gathers.push_back(ms);
  }
  const ClusterCpu cpu_after = ClusterCpu::of(*cluster);
  origin.stop_call_metrics();
  std::size_t connected = 0;
  for (const Origin::NodeLink& link : origin.nodes()) connected += link.connected ? 1 : 0;
  if (connected != n) {
    state.SkipWithError("a node lost its connection during the gathers");
    return;
  }
  state.counters["gather_p50_ms"] = p50(gathers);
  cpu_after.count_since(cpu_before, gathers.size(), "cpu_ms_per_gather", state);
  state.counters["nodes"] = static_cast<double>(connected);
}

void BM_Apply(benchmark::State& state) {
  guarded(state, measure_apply);
}

void BM_Gather(benchmark::State& state) {
  guarded(state, measure_gather);
}

}  // namespace
}  // namespace hatch::bench

int main(int argc, char** argv) {
  if (int status = hatch::test::run_node_if_asked(argc, argv); status >= 0) return status;
  namespace bench = hatch::bench;
  bench::Clusters clusters;
  bench::clusters = &clusters;
  for (const int signal : {SIGINT, SIGTERM, SIGHUP, SIGABRT}) {
    std::signal(signal, bench::kill_nodes_and_stop);
  }
  // Count by count, so that each count's nodes start once for both benchmarks.
  for (const int n : bench::kCounts) {
    benchmark::RegisterBenchmark("BM_Apply", bench::BM_Apply)
        ->Arg(n)
        ->Iterations(bench::kMoves)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("BM_Gather", bench::BM_Gather)
        ->Arg(n)
        ->Iterations(bench::kGathers)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  }
  const int status = bench::run_benchmarks(argc, argv);
  clusters.reset();
  return status;
}

// Relocation pause by state size, beside a plain loopback copy of the same bytes, in one run,
// and the pause of a resharding.
//
// BM_RelocationPause/N/peer moves a stateful component holding N bytes back and forth between
// the origin and a node process, and reports the p50 of the pauses its transition reports give.
// With peer = 1, each move is followed by a plain copy of N bytes to a sink process over
// loopback (waiting for its one-byte ack), and that p50 is reported beside it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_cluster.hpp"
#include "hatch/hatch.hpp"
#include "loopback_peer.hpp"
#include "node_process.hpp"
#include "test_interfaces.hpp"

namespace hatch::bench {
namespace {

struct World {
  std::unique_ptr<BenchCluster> cluster;
  std::unique_ptr<LoopbackPeer> sink;
};
World* world = nullptr;

// The raw peer: reads an 8-byte size, then that many bytes into memory it keeps until all have
// arrived (as an import does), then answers one byte.
void serve_sink(int fd) {
  for (;;) {
    std::uint64_t want = 0;
    if (::read(fd, &want, sizeof want) != sizeof want) return;
    std::unique_ptr<char[]> all(new char[want]);  // not zeroed: the copy itself is measured
    for (std::uint64_t got = 0; got < want;) {
      const ssize_t n = ::read(fd, all.get() + got, want - got);
      if (n <= 0) return;
      got += static_cast<std::uint64_t>(n);
    }
    const char ack = 1;
    if (::write(fd, &ack, 1) != 1) return;
  }
}

// Sends `size` bytes to the sink and waits for its ack. Returns the time taken, or -1.
double raw_copy_ms(int fd, const std::vector<char>& data) {
  const std::uint64_t size = data.size();
  const auto t0 = std::chrono::steady_clock::now();
  if (::write(fd, &size, sizeof size) != sizeof size) return -1;
  for (std::uint64_t off = 0; off < size;) {
    const ssize_t n = ::write(fd, data.data() + off, size - off);
    if (n <= 0) return -1;
    off += static_cast<std::uint64_t>(n);
  }
  char ack = 0;
  if (::read(fd, &ack, 1) != 1) return -1;
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double p50(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Each iteration moves the component once (origin -> node or back) and, for sizes given a
// peer, copies the same number of bytes over a plain socket right after: both figures come
// from the same moments of the same run, so machine noise hits both alike.
void BM_RelocationPause(benchmark::State& state) {
  const auto size = static_cast<std::uint64_t>(state.range(0));
  const bool with_peer = state.range(1) != 0;
  Ref<BigState> blob = world->cluster->origin->get<BigState>("big-state");
  if (blob.binding().kind != Binding::Kind::local)
    world->cluster->origin->relocate("big-state", "local");
  blob->fill(size, 1);
  const std::uint64_t digest = blob->digest();
  const int fd = with_peer ? connect_loopback(world->sink->port()) : -1;
  if (with_peer && fd < 0) {
    state.SkipWithError("cannot connect to the sink");
    return;
  }
  const std::vector<char> data(with_peer ? size : 0, 'x');
  std::vector<double> pauses;
  std::vector<double> copies;
  bool there = false;
  for (auto _ : state) {
    TransitionReport r = world->cluster->origin->relocate(
        "big-state", there ? "local" : world->cluster->addresses.front());
    if (!r.ok) {
      state.SkipWithError(r.error.c_str());
      return;
    }
    there = !there;
    pauses.push_back(r.pause.count() / 1000.0);
    if (std::getenv("HATCH_BENCH_STEPS") != nullptr) {
      std::fprintf(stderr, "%s\n", r.to_string().c_str());
    }
    if (with_peer) {
      state.PauseTiming();
      const double ms = raw_copy_ms(fd, data);
      if (ms < 0) {
        state.SkipWithError("the raw copy to the sink failed");
        return;
      }
      copies.push_back(ms);
      state.ResumeTiming();
    }
  }
  if (fd >= 0) ::close(fd);
  if (blob->digest() != digest) state.SkipWithError("the state did not survive the moves");
  state.counters["pause_p50_ms"] = p50(pauses);
  if (with_peer) state.counters["copy_p50_ms"] = p50(copies);
}
BENCHMARK(BM_RelocationPause)
    ->Args({1 << 10, 0})
    ->Args({100 << 10, 0})
    ->Args({1 << 20, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RelocationPause)
    ->Args({64 << 20, 1})
    ->Iterations(20)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// A keyed component holding 1 MB (1,024 entries of 1 KiB), resharded from 4 to 5 node homes
// and back while a client reads and writes it; the p50 of the 4 -> 5 pauses is reported.
void BM_ReshardPause(benchmark::State& state) {
  constexpr int kEntries = 1024;
  const std::vector<std::string>& nodes = world->cluster->addresses;
  const Placement four = Placement::sharded({nodes[0], nodes[1], nodes[2], nodes[3]});
  const Placement five = Placement::sharded({nodes[0], nodes[1], nodes[2], nodes[3], nodes[4]});
  Origin& origin = *world->cluster->origin;
  Ref<Blobs> blobs = origin.get<Blobs>("blobs");
  if (!origin.apply({{"blobs", four}}).front().ok) {
    state.SkipWithError("cannot shard the component over 4 nodes");
    return;
  }
  const Bytes value(1024, std::byte{7});
  for (int i = 0; i < kEntries; ++i) blobs->put("entry-" + std::to_string(i), value);
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> load_calls{0};
  std::atomic<std::uint64_t> load_errors{0};
  std::thread load([&] {
    for (std::uint64_t i = 0; !stop.load(); ++i) {
      const std::string key = "entry-" + std::to_string(i % kEntries);
      try {
        if (i % 4 == 0) {
          blobs->put(key, value);
        } else if (blobs->size_of(key) != value.size()) {
          ++load_errors;
        }
        ++load_calls;
      } catch (const std::exception&) {
        ++load_errors;
      }
    }
  });
  std::vector<double> pauses;
  std::string failure;
  for (auto _ : state) {
    TransitionReport out = origin.apply({{"blobs", five}}).front();
    TransitionReport back = origin.apply({{"blobs", four}}).front();
    if (!out.ok || !back.ok) {
      failure = out.ok ? back.error : out.error;
      break;
    }
    pauses.push_back(out.pause.count() / 1000.0);
    if (std::getenv("HATCH_BENCH_STEPS") != nullptr) {
      std::fprintf(stderr, "%s\n", out.to_string().c_str());
    }
  }
  stop = true;
  load.join();
  if (!failure.empty()) {
    state.SkipWithError(failure.c_str());
    return;
  }
  if (load_errors.load() != 0 || blobs->total_bytes() != kEntries * value.size()) {
    state.SkipWithError("the entries did not survive the reshardings");
    return;
  }
  state.counters["pause_p50_ms"] = p50(pauses);
  state.counters["load_calls"] = static_cast<double>(load_calls.load());
}
BENCHMARK(BM_ReshardPause)->Iterations(30)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hatch::bench

int main(int argc, char** argv) {
  if (int status = hatch::test::run_node_if_asked(argc, argv); status >= 0) return status;
  hatch::bench::World world;
  world.cluster = std::make_unique<hatch::bench::BenchCluster>(
      5, [](hatch::Options& options, const std::vector<std::string>&) {
        options.call_timeout = std::chrono::seconds(60);
      });
  world.sink = std::make_unique<hatch::bench::LoopbackPeer>(&hatch::bench::serve_sink);
  hatch::bench::world = &world;
  return hatch::bench::run_benchmarks(argc, argv);
}

// Relocation pause by state size, beside a plain loopback copy of the same bytes, in one run.
//
// BM_RelocationPause/N moves a stateful component holding N bytes back and forth between the
// origin and a node process, and reports the p50 of the pauses its transition reports give.
// BM_RawTcpCopy/N sends N bytes to a sink process over loopback and waits for its one-byte ack.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <benchmark/benchmark.h>

#include "hatch/component.hpp"
#include "hatch/hatch.hpp"
#include "loopback_peer.hpp"
#include "node_process.hpp"

HATCH_INTERFACE(Blob, (write, void, fill, (std::uint64_t)), (read, std::uint64_t, bytes, ()));

namespace hatch::bench {
namespace {

class BlobImpl final : public Blob, public StatefulState {
 public:
  void fill(std::uint64_t n) override {
    std::lock_guard lock(mu_);
    data_.assign(n, std::byte{0x5a});
  }
  std::uint64_t bytes() override {
    std::lock_guard lock(mu_);
    return data_.size();
  }
  Bytes save_state() override {
    std::lock_guard lock(mu_);
    return data_;
  }
  Bytes take_state() override {  // the instance is leaving: no need to copy
    std::lock_guard lock(mu_);
    return std::move(data_);
  }
  void load_state(Bytes state) override {
    std::lock_guard lock(mu_);
    data_ = std::move(state);
  }

 private:
  std::mutex mu_;
  Bytes data_;
};
HATCH_COMPONENT(BlobImpl, Blob, "blob");

struct World {
  test::SecretFile secret;
  std::unique_ptr<test::NodeProcess> node;
  std::unique_ptr<Origin> origin;
  std::unique_ptr<LoopbackPeer> sink;
};
World* world = nullptr;

// The raw peer: reads an 8-byte size, then that many bytes into memory it keeps until all have
// arrived (as an import does), then answers one byte.
void serve_sink(int fd) {
  for (;;) {
    std::uint64_t want = 0;
    if (::read(fd, &want, sizeof want) != sizeof want) return;
    std::vector<char> all(want);
    for (std::uint64_t got = 0; got < want;) {
      const ssize_t n = ::read(fd, all.data() + got, want - got);
      if (n <= 0) return;
      got += static_cast<std::uint64_t>(n);
    }
    const char ack = 1;
    if (::write(fd, &ack, 1) != 1) return;
  }
}

void BM_RelocationPause(benchmark::State& state) {
  const auto size = static_cast<std::uint64_t>(state.range(0));
  Ref<Blob> blob = world->origin->get<Blob>("blob");
  if (blob.binding().kind != Binding::Kind::local) world->origin->relocate("blob", "local");
  blob->fill(size);
  std::vector<double> ms;
  bool there = false;
  for (auto _ : state) {
    TransitionReport r = world->origin->relocate("blob", there ? "local" : world->node->address());
    if (!r.ok) {
      state.SkipWithError(r.error.c_str());
      return;
    }
    there = !there;
    ms.push_back(r.pause.count() / 1000.0);
    if (std::getenv("HATCH_BENCH_STEPS") != nullptr)
      std::fprintf(stderr, "%s\n", r.to_string().c_str());
  }
  if (blob->bytes() != size) state.SkipWithError("the state did not survive the moves");
  std::sort(ms.begin(), ms.end());
  state.counters["pause_p50_ms"] = ms[ms.size() / 2];
  state.counters["pause_max_ms"] = ms.back();
}
BENCHMARK(BM_RelocationPause)
    ->Arg(1 << 10)
    ->Arg(100 << 10)
    ->Arg(1 << 20)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RelocationPause)
    ->Arg(64 << 20)
    ->Iterations(10)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_RawTcpCopy(benchmark::State& state) {
  const int fd = connect_loopback(world->sink->port());
  if (fd < 0) {
    state.SkipWithError("cannot connect to the sink");
    return;
  }
  const auto size = static_cast<std::uint64_t>(state.range(0));
  std::vector<char> data(size, 'x');
  std::vector<double> ms;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    if (::write(fd, &size, sizeof size) != sizeof size) break;
    for (std::uint64_t off = 0; off < size;) {
      const ssize_t n = ::write(fd, data.data() + off, size - off);
      if (n <= 0) break;
      off += static_cast<std::uint64_t>(n);
    }
    char ack = 0;
    if (::read(fd, &ack, 1) != 1) break;
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  ::close(fd);
  std::sort(ms.begin(), ms.end());
  state.counters["copy_p50_ms"] = ms[ms.size() / 2];
}
BENCHMARK(BM_RawTcpCopy)->Arg(1 << 20)->Arg(64 << 20)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hatch::bench

int main(int argc, char** argv) {
  if (int status = hatch::test::run_node_if_asked(argc, argv); status >= 0) return status;
  ::signal(SIGPIPE, SIG_IGN);
  hatch::keep_freed_memory();
  hatch::configure_logging("warn");
  hatch::bench::World world;
  world.node = std::make_unique<hatch::test::NodeProcess>(world.secret.path());
  hatch::Options options;
  options.secret = world.secret.bytes();
  options.call_timeout = std::chrono::seconds(60);
  world.origin = std::make_unique<hatch::Origin>(hatch::Catalog::program(), options);
  world.sink = std::make_unique<hatch::bench::LoopbackPeer>(&hatch::bench::serve_sink);
  hatch::bench::world = &world;
  ::benchmark::Initialize(&argc, argv);
  ::benchmark::RunSpecifiedBenchmarks();
  ::benchmark::Shutdown();
  world.origin.reset();
  return 0;
}

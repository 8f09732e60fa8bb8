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
  pid_t sink = -1;
  std::uint16_t sink_port = 0;
};
World* world = nullptr;

void start_sink(World& w) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::listen(listener, 8) != 0) {
    throw std::runtime_error("sink: bind/listen failed");
  }
  socklen_t len = sizeof sa;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&sa), &len);
  w.sink_port = ntohs(sa.sin_port);
  w.sink = ::fork();
  if (w.sink == 0) {
    // Protocol: 8-byte size, then that many bytes; answers one byte when all have arrived.
    std::vector<char> buf(1 << 20);
    for (;;) {
      const int fd = ::accept(listener, nullptr, nullptr);
      if (fd < 0) ::_exit(0);
      for (;;) {
        std::uint64_t want = 0;
        if (::read(fd, &want, sizeof want) != sizeof want) break;
        std::vector<char> all(want);  // the receiver keeps the bytes, as an import does
        for (std::uint64_t got = 0; got < want;) {
          const ssize_t n = ::read(fd, all.data() + got, want - got);
          if (n <= 0) ::_exit(0);
          got += static_cast<std::uint64_t>(n);
        }
        const char ack = 1;
        if (::write(fd, &ack, 1) != 1) break;
      }
      ::close(fd);
    }
  }
  ::close(listener);
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
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(world->sink_port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    state.SkipWithError("cannot connect to the sink");
    return;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
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
  hatch::bench::start_sink(world);
  hatch::bench::world = &world;
  ::benchmark::Initialize(&argc, argv);
  ::benchmark::RunSpecifiedBenchmarks();
  ::benchmark::Shutdown();
  world.origin.reset();
  ::kill(world.sink, SIGKILL);
  ::waitpid(world.sink, nullptr, 0);
  return 0;
}

#include "bench_cluster.hpp"

#include <csignal>

#include <benchmark/benchmark.h>

#include "hatch/app.hpp"
#include "hatch/catalog.hpp"

namespace hatch::bench {

BenchCluster::BenchCluster(
    std::size_t node_count,
    const std::function<void(Options&, const std::vector<std::string>& nodes)>& configure,
    const test::TempCerts* certs) {
  std::signal(SIGPIPE, SIG_IGN);
  keep_freed_memory();
  configure_logging("warn");
  const std::vector<std::string> flags =
      certs != nullptr ? certs->flags("node") : std::vector<std::string>{};
  for (std::size_t i = 0; i < node_count; ++i) {
    nodes.push_back(std::make_unique<test::NodeProcess>(secret.path(), "127.0.0.1:0", flags));
    addresses.push_back(nodes.back()->address());
  }
  Options options;
  options.secret = secret.bytes();
  if (certs != nullptr) options.tls = certs->files("origin");
  configure(options, addresses);
  origin = std::make_unique<Origin>(Catalog::program(), options);
}

int run_benchmarks(int argc, char** argv) {
  ::benchmark::Initialize(&argc, argv);
  ::benchmark::RunSpecifiedBenchmarks();
  ::benchmark::Shutdown();
  return 0;
}

}  // namespace hatch::bench

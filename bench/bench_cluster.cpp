#include "bench_cluster.hpp"

#include <csignal>

#include <benchmark/benchmark.h>

#include "hatch/app.hpp"
#include "hatch/catalog.hpp"

namespace hatch::bench {

BenchCluster::BenchCluster(
    const std::function<void(Options&, const std::string& node)>& configure) {
  std::signal(SIGPIPE, SIG_IGN);
  keep_freed_memory();
  configure_logging("warn");
  node = std::make_unique<test::NodeProcess>(secret.path());
  Options options;
  options.secret = secret.bytes();
  configure(options, node->address());
  origin = std::make_unique<Origin>(Catalog::program(), options);
}

int run_benchmarks(int argc, char** argv) {
  ::benchmark::Initialize(&argc, argv);
  ::benchmark::RunSpecifiedBenchmarks();
  ::benchmark::Shutdown();
  return 0;
}

}  // namespace hatch::bench

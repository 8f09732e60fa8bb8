// The Hatch side of a benchmark: this process set up as Hatch sets up the processes it runs
// (SIGPIPE ignored, freed memory kept, logs at warn), one node process started from this binary,
// and an origin that reaches it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "hatch/options.hpp"
#include "hatch/origin.hpp"
#include "node_process.hpp"

namespace hatch::bench {

class BenchCluster {
 public:
  // `configure` adjusts the origin's options once the node's address is known.
  explicit BenchCluster(const std::function<void(Options&, const std::string& node)>& configure);

  test::SecretFile secret;
  std::unique_ptr<test::NodeProcess> node;
  std::unique_ptr<Origin> origin;
};

// Runs the benchmarks registered in this binary with Google Benchmark's flags from argv.
int run_benchmarks(int argc, char** argv);

}  // namespace hatch::bench

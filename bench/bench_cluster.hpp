// The Hatch side of a benchmark: this process set up as Hatch sets up the processes it runs
// (SIGPIPE ignored, freed memory kept, logs at warn), node processes started from this binary,
// and an origin that reaches them, over TLS when given certificates.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hatch/options.hpp"
#include "hatch/origin.hpp"
#include "node_process.hpp"
#include "temp_certs.hpp"

namespace hatch::bench {

class BenchCluster {
 public:
  // Starts `node_count` nodes; `configure` adjusts the origin's options once their addresses
  // are known. With `certs` (members "origin" and "node"), every connection is mutual TLS.
  BenchCluster(
      std::size_t node_count,
      const std::function<void(Options&, const std::vector<std::string>& nodes)>& configure,
      const test::TempCerts* certs = nullptr);

  test::SecretFile secret;
  std::vector<std::unique_ptr<test::NodeProcess>> nodes;
  std::vector<std::string> addresses;  // of `nodes`, in the same order
  std::unique_ptr<Origin> origin;
};

// Runs the benchmarks registered in this binary with Google Benchmark's flags from argv.
int run_benchmarks(int argc, char** argv);

}  // namespace hatch::bench

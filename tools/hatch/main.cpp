// hatch: the command-line tool. For now: `hatch node`, a node linked with the example's
// components. Later subcommands (demo, sim, status, bench) join it here.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "hatch/app.hpp"

int main(int argc, char** argv) {
  CLI::App cli("hatch: run and inspect self-distributing systems");
  cli.require_subcommand(1);
  CLI::App* node = cli.add_subcommand("node", "run a node that hosts components for an origin");
  std::string listen;
  std::string secret_file;
  int io_threads = 8;
  std::string log_level = "info";
  node->add_option("--listen", listen, "HOST:PORT to listen on (port 0: any free port)")
      ->required();
  node->add_option("--secret-file", secret_file, "file holding the cluster secret")
      ->envname("HATCH_SECRET_FILE")
      ->required();
  node->add_option("--io-threads", io_threads, "I/O and serving threads")
      ->check(CLI::Range(2, 1024));
  node->add_option("--log-level", log_level)
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  CLI11_PARSE(cli, argc, argv);
  hatch::Options options;
  try {
    options.secret = hatch::read_secret_file(secret_file);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hatch node: %s\n", e.what());
    return 2;
  }
  options.io_threads = io_threads;
  return hatch::run_node(listen, options, log_level);
}

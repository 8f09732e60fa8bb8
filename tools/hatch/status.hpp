// `hatch status --origin HOST:PORT [--watch]`: what the dashboard shows, as tables in the
// terminal, read from the origin's JSON API (src/ops/dashboard.hpp): the nodes and their health,
// every component's placement, the learner's phase and the last moves.
#pragma once

#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace hatch::tool {

struct StatusOptions {
  std::string origin;      // the origin's HTTP address, as --hatch-http-listen gave it
  std::string token_file;  // the token, when the origin serves off loopback
  bool watch = false;      // redraw every `interval_s` until interrupted
  double interval_s = 2;
  int moves = 10;  // how many of the last moves to show
};

// Adds the `status` subcommand's options to `cli`, reading into `options`.
void add_status_options(CLI::App& cli, StatusOptions& options);

// Prints the tables once, or again and again with --watch. Returns the exit status: 0, or 1
// after saying why the origin could not be read (in --watch, it says so and tries again).
int run_status(const StatusOptions& options);

}  // namespace hatch::tool

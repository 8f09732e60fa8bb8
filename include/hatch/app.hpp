// hatch::App: one binary that is the origin, or a node when started with --hatch-node. When
// the configuration asks for it, the origin learns where its components should run while the
// body of run() serves (the autopilot, hatch/autopilot.hpp): the program writes no learning code.
//
//   int main(int argc, char** argv) {
//     hatch::App app(argc, argv);                 // as a node: serves here and exits
//     hatch::Ref<Cache> cache = app.get<Cache>("cache");
//     return app.run([&] { serve(cache); });      // the autopilot runs beside serve()
//   }
//
// Flags (all optional; the rest of argv is left to the program, see args()):
//   --hatch-node HOST:PORT        run as a node listening there (port 0: any free port); the
//                                 node prints "hatch node listening on HOST:PORT" when ready
//   --hatch-secret-file FILE      the cluster secret (else $HATCH_SECRET_FILE)
//   --hatch-tls-cert FILE         mutual TLS, all three or none: this process's certificate,
//   --hatch-tls-key FILE          its private key,
//   --hatch-tls-ca FILE           and the CA's certificate (`hatch certs` makes them)
//   --hatch-place NAME=WHERE      create component NAME on node WHERE ("local": here)
//   --hatch-config FILE           a TOML file with the same settings (see docs/guide.md)
//   --hatch-call-timeout-ms MS    deadline of each remote call
//   --hatch-stall-timeout-ms MS   a peer stalled half-way through a frame, or not reading,
//                                 this long loses its connection (default 30000)
//   --hatch-io-threads N          I/O and serving threads
//   --hatch-log-level LEVEL       trace, debug, info, warn (default), error, off
//   --hatch-learn                 run the autopilot (as a [learn] table does)
//   --hatch-nodes HOST:PORT,...   the nodes it may place components on (else `nodes` in TOML)
//   --hatch-learn-state FILE      where it keeps what it learned across restarts
//   --hatch-http-listen HOST:PORT serve /metrics (and on the origin the dashboard) there
//   --hatch-http-token-file FILE  the token HTTP clients must send (required off loopback)
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hatch/autopilot.hpp"
#include "hatch/options.hpp"
#include "hatch/origin.hpp"

namespace hatch {

namespace ops {
class HttpServer;
}  // namespace ops
class AppDashboard;

class App {
 public:
  // Parses Hatch's flags. In node mode it serves until SIGTERM and then exits the process, so
  // the code after it runs only in the origin. Bad flags print a message and exit with status 2.
  App(int argc, char** argv);
  ~App();

  template <class I>
  Ref<I> get(std::string_view name) {
    return origin().get<I>(name);
  }

  // Runs `body`, with the autopilot beside it when learning is on; the autopilot stops (and
  // saves what it learned) when `body` returns. Returns 0, or 1 after printing the exception
  // that escaped `body`, or why the autopilot could not start or stopped on an error.
  int run(const std::function<void()>& body);

  // The origin, created on first use from options().
  Origin& origin();
  // The settings the origin will be created with: a program may add to them (component
  // configuration from its own flags, say) before its first get() or origin(). Throws
  // UsageError once the origin exists.
  Options& options();
  // The autopilot's settings, likewise until run().
  AutopilotOptions& learn_options();
  // The autopilot while run() runs with learning on; null otherwise.
  Autopilot* autopilot() noexcept { return autopilot_.get(); }
  // Where the origin serves HTTP (the dashboard, its API and /metrics), "host:port"; "" when
  // Options::http_listen is empty or the origin does not exist yet.
  std::string http_address() const;
  // The program's own arguments: argv[0] and everything that is not a Hatch flag.
  const std::vector<std::string>& args() const noexcept { return args_; }

 private:
  std::vector<std::string> args_;
  Options options_;
  AutopilotOptions learn_;
  std::unique_ptr<Origin> origin_;
  std::unique_ptr<Autopilot> autopilot_;  // stops before the origin does
  // Metrics, the dashboard and its API, when Options::http_listen is set; it reads the origin
  // and the autopilot, so it is declared last: it stops first.
  std::shared_ptr<AppDashboard> dashboard_;
  std::unique_ptr<ops::HttpServer> http_server_;
};

// Parses Hatch's flags from argv. Returns the options, plus the node address when
// --hatch-node was given. Throws UsageError with a message naming the bad flag or file.
// The settings only a node process has (--hatch-node and the flags beside it).
struct NodeFlags {
  std::string listen;     // --hatch-node; empty: run as the origin
  std::string join;       // --hatch-join: NodeOptions::join
  std::string advertise;  // --hatch-advertise: NodeOptions::advertise
  std::chrono::milliseconds origin_lease = NodeOptions{}.origin_lease;
  std::chrono::milliseconds drain_timeout = NodeOptions{}.drain_timeout;
};

// For a program's own --help: where Hatch's flags are told.
inline constexpr const char* kHatchFlagsFooter =
    "Hatch's own flags (--hatch-node, --hatch-place, --hatch-config, ...) go with these; "
    "--hatch-help lists them with their defaults.";

struct ParsedFlags {
  Options options;
  AutopilotOptions learn;
  NodeFlags node;
  std::string log_level = "warn";
  std::vector<std::string> rest;
  // Set by --hatch-help: every Hatch flag with its default, which App prints before it exits;
  // nothing else is parsed then.
  std::string help;
};
ParsedFlags parse_flags(int argc, const char* const* argv);

// Reads a TOML configuration file into `options` and `learn`, and the cluster secret from the
// secret file it names. Throws UsageError naming the file and line.
void load_config_file(const std::string& path, Options& options, AutopilotOptions& learn);

// Reads TOML configuration text as load_config_file reads a file's, but reads no file itself:
// it returns the secret_file the text names, if any, for the caller to read. `path` names the
// text in errors, and the files it names (secret_file, tls_*, http_token_file,
// learn.state_file) are taken from its folder when relative. Throws UsageError naming `path`
// and the line.
[[nodiscard]] std::optional<std::string> load_config_text(std::string_view text,
                                                          const std::string& path, Options& options,
                                                          AutopilotOptions& learn);

// Reads the cluster secret file. Throws UsageError.
std::string read_secret_file(const std::string& path);

// Sends Hatch's log to stderr at `level` (trace, debug, info, warn, error, off).
void configure_logging(const std::string& level);

// Tunes the C allocator for RPC traffic: freed frame buffers stay in the process instead of
// going back to the kernel. App and nodes call it; a program that builds an Origin itself may.
void keep_freed_memory();

// Runs a node until SIGTERM or SIGINT (then drained, NodeOptions::drain_timeout), logging at
// `log_level`; returns the exit status.
int run_node(const NodeFlags& node, const Options& options, const std::string& log_level = "info");
// The same, as the flags (--hatch-node ...) say.
int run_node(const ParsedFlags& flags);

}  // namespace hatch

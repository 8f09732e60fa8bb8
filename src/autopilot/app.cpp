#include "hatch/app.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <malloc.h>
#include <CLI/CLI.hpp>

#include <csignal>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "autopilot/app_dashboard.hpp"
#include "autopilot/learn_config.hpp"
#include "core/metrics.hpp"
#include "hatch/node.hpp"
#include "ops/dashboard.hpp"
#include "ops/http_server.hpp"
#include "rpc/tls_network.hpp"

namespace hatch {

namespace {

// Serves `routes` plus GET /metrics of `metrics` (made first when null) at options.http_listen;
// null when that is empty (off). `what` follows the address in the log line.
std::unique_ptr<ops::HttpServer> serve_http(const Options& options,
                                            std::shared_ptr<internal::Metrics>& metrics,
                                            ops::HttpRoutes routes, const char* what) {
  if (options.http_listen.empty()) return nullptr;
  if (!metrics) metrics = std::make_shared<internal::Metrics>();
  routes.merge(ops::metrics_routes(metrics));
  ops::HttpServerOptions http;
  if (!options.http_token_file.empty()) http.token = ops::read_token_file(options.http_token_file);
  auto server = std::make_unique<ops::HttpServer>(options.http_listen, std::move(routes), http);
  spdlog::info("serving HTTP on http://{}/ ({})", server->address(), what);
  return server;
}

}  // namespace

ParsedFlags parse_flags(int argc, const char* const* argv) {
  ParsedFlags out;
  CLI::App cli("Hatch's own flags, which every program built with hatch::App takes",
               argc > 0 ? argv[0] : "app");
  cli.allow_extras();
  cli.set_help_flag();
  std::string secret_file;
  TlsFiles tls;
  std::string config_file;
  std::vector<std::string> places;
  std::int64_t timeout_ms = 0;
  std::int64_t stall_ms = 0;
  std::int64_t heartbeat_ms = -1;
  std::int64_t node_timeout_ms = 0;
  int io_threads = 0;
  std::int64_t latency_ms = -1;
  std::int64_t lease_ms = -1;
  std::int64_t drain_ms = -1;
  std::int64_t discovery_ms = 0;
  std::string listen;
  bool learn = false;
  std::vector<std::string> nodes;
  std::string learn_state;
  std::string http_listen;
  std::string http_token_file;
  const Options defaults;
  const NodeOptions node_defaults;
  const auto ms = [](std::chrono::milliseconds d) { return std::to_string(d.count()); };
  bool help = false;
  cli.add_flag("--hatch-help", help, "print every Hatch flag with its default, then exit");
  cli.add_option("--hatch-node", out.node.listen, "run as a node listening on HOST:PORT");
  cli.add_option("--hatch-join", out.node.join, "a node: join the origin at HOST:PORT");
  cli.add_option("--hatch-advertise", out.node.advertise,
                 "a node: the HOST:PORT the origin dials back (default: --hatch-node's)");
  cli.add_option("--hatch-listen", listen, "the origin: let nodes join at HOST:PORT");
  cli.add_option("--hatch-discovery-ms", discovery_ms, "how often node files and names are read")
      ->check(CLI::Range(1, 3600000))
      ->default_str(ms(defaults.discovery_interval));
  cli.add_flag("--hatch-learn", learn, "learn where components run (needs nodes)");
  cli.add_option("--hatch-nodes", nodes, "nodes: HOST:PORT, file:PATH or dns:NAME:PORT, by commas")
      ->delimiter(',')
      ->allow_extra_args(false);
  cli.add_option("--hatch-learn-state", learn_state, "the file the learner keeps its memory in");
  cli.add_option("--hatch-secret-file", secret_file,
                 "the cluster secret (default: $HATCH_SECRET_FILE)");
  cli.add_option("--hatch-tls-cert", tls.cert_file, "this process's TLS certificate (PEM)");
  cli.add_option("--hatch-tls-key", tls.key_file, "its private key (PEM)");
  cli.add_option("--hatch-tls-ca", tls.ca_file, "the CA that signs every peer's certificate");
  cli.add_option("--hatch-config", config_file, "a TOML configuration file");
  // One NAME=WHERE per flag: the words after it belong to the program.
  cli.add_option("--hatch-place", places, "place a component: NAME=WHERE, once per component")
      ->allow_extra_args(false);
  cli.add_option("--hatch-call-timeout-ms", timeout_ms, "a remote call's deadline")
      ->check(CLI::Range(1, 3600000))
      ->default_str(ms(defaults.call_timeout));
  cli.add_option("--hatch-stall-timeout-ms", stall_ms, "a connection that moves no byte closes")
      ->check(CLI::Range(1, 3600000))
      ->default_str(ms(defaults.stall_timeout));
  cli.add_option("--hatch-heartbeat-ms", heartbeat_ms, "the origin's heartbeat to nodes; 0: off")
      ->check(CLI::Range(0, 600000))
      ->default_str(ms(defaults.heartbeat_interval));
  cli.add_option("--hatch-node-timeout-ms", node_timeout_ms, "a silent node is taken as dead")
      ->check(CLI::Range(1, 3600000))
      ->default_str(ms(defaults.node_timeout));
  cli.add_option("--hatch-io-threads", io_threads, "threads that run I/O and serve calls")
      ->check(CLI::Range(2, 1024))
      ->default_str(std::to_string(defaults.io_threads));
  cli.add_option("--hatch-emulated-link-latency-ms", latency_ms,
                 "emulation: every frame sent waits this long")
      ->check(CLI::Range(0, 10000))
      ->default_str("0");
  cli.add_flag("--hatch-take-over", out.options.take_over,
               "the origin: take over nodes another origin holds");
  cli.add_option("--hatch-http-listen", http_listen,
                 "serve the dashboard, its API and /metrics on HOST:PORT");
  cli.add_option("--hatch-http-token-file", http_token_file,
                 "the bearer token that actions on the dashboard need");
  cli.add_option("--hatch-origin-lease-ms", lease_ms, "a node: how long an origin holds it")
      ->check(CLI::Range(0, 3600000))
      ->default_str(ms(node_defaults.origin_lease));
  cli.add_option("--hatch-drain-timeout-ms", drain_ms,
                 "a node: how long draining may take on SIGTERM")
      ->check(CLI::Range(0, 3600000))
      ->default_str(ms(node_defaults.drain_timeout));
  cli.add_option("--hatch-log-level", out.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->default_str(out.log_level);
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    throw UsageError(std::string("bad Hatch flag: ") + e.what());
  }
  if (help) {
    out.help = cli.help();
    return out;
  }
  out.rest.push_back(argc > 0 ? argv[0] : "");
  for (const std::string& extra : cli.remaining()) {
    if (extra.rfind("--hatch-", 0) == 0) {
      throw UsageError(
          "unknown Hatch flag '" + extra +
          "' (known: --hatch-node, --hatch-secret-file, --hatch-tls-cert, --hatch-tls-key, "
          "--hatch-tls-ca, --hatch-place, --hatch-config, "
          "--hatch-call-timeout-ms, --hatch-stall-timeout-ms, --hatch-heartbeat-ms, "
          "--hatch-node-timeout-ms, --hatch-io-threads, "
          "--hatch-emulated-link-latency-ms, --hatch-take-over, --hatch-origin-lease-ms, "
          "--hatch-drain-timeout-ms, "
          "--hatch-log-level, --hatch-learn, --hatch-nodes, --hatch-discovery-ms, --hatch-listen, "
          "--hatch-join, --hatch-advertise, --hatch-learn-state, "
          "--hatch-http-listen, --hatch-http-token-file; --hatch-help prints them all)");
    }
    out.rest.push_back(extra);
  }
  if (!config_file.empty()) load_config_file(config_file, out.options, out.learn);
  if (secret_file.empty()) {
    if (const char* env = std::getenv("HATCH_SECRET_FILE")) secret_file = env;
  }
  if (!secret_file.empty()) out.options.secret = read_secret_file(secret_file);
  if (!tls.cert_file.empty()) out.options.tls.cert_file = tls.cert_file;
  if (!tls.key_file.empty()) out.options.tls.key_file = tls.key_file;
  if (!tls.ca_file.empty()) out.options.tls.ca_file = tls.ca_file;
  if (out.options.tls.enabled()) rpc::check_tls_files(out.options.tls);
  for (const std::string& place : places) {
    const auto eq = place.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == place.size()) {
      throw UsageError("--hatch-place '" + place + "' is not of the form NAME=WHERE");
    }
    out.options.placements[place.substr(0, eq)] = place.substr(eq + 1);
  }
  if (!http_listen.empty()) out.options.http_listen = http_listen;
  if (!http_token_file.empty()) out.options.http_token_file = http_token_file;
  if (timeout_ms > 0) out.options.call_timeout = std::chrono::milliseconds(timeout_ms);
  if (stall_ms > 0) out.options.stall_timeout = std::chrono::milliseconds(stall_ms);
  if (!listen.empty()) out.options.listen = listen;
  if (discovery_ms > 0) out.options.discovery_interval = std::chrono::milliseconds(discovery_ms);
  if (heartbeat_ms >= 0) out.options.heartbeat_interval = std::chrono::milliseconds(heartbeat_ms);
  if (node_timeout_ms > 0) out.options.node_timeout = std::chrono::milliseconds(node_timeout_ms);
  if (out.options.heartbeat_interval.count() > 0 &&
      out.options.node_timeout < out.options.heartbeat_interval) {
    throw UsageError("--hatch-node-timeout-ms (" +
                     std::to_string(out.options.node_timeout.count()) +
                     ") must be at least the heartbeat interval (" +
                     std::to_string(out.options.heartbeat_interval.count()) + " ms)");
  }
  if (io_threads > 0) out.options.io_threads = io_threads;
  if (latency_ms >= 0) out.options.emulated_link_latency = std::chrono::milliseconds(latency_ms);
  if (lease_ms >= 0) out.node.origin_lease = std::chrono::milliseconds(lease_ms);
  if (drain_ms >= 0) out.node.drain_timeout = std::chrono::milliseconds(drain_ms);
  if (out.node.listen.empty() && (!out.node.join.empty() || !out.node.advertise.empty())) {
    throw UsageError("--hatch-join and --hatch-advertise are for a node: give --hatch-node too");
  }
  if (learn) out.learn.enabled = true;
  if (!nodes.empty()) out.options.nodes = nodes;
  if (!learn_state.empty()) out.learn.state_file = learn_state;
  if (out.node.listen.empty()) {
    out.learn.check();
    if (out.learn.enabled && out.options.nodes.empty() && out.options.listen.empty()) {
      throw UsageError(
          "learning needs nodes to place components on: list them in the configuration's "
          "`nodes` (\"host:port\", \"file:PATH\", \"dns:NAME:PORT\"), give --hatch-nodes, or "
          "let nodes join (--hatch-listen HOST:PORT)");
    }
  }
  return out;
}

void keep_freed_memory() {
  // Calls and moves allocate and free frame- and state-sized buffers at a high rate. glibc's
  // defaults give freed memory back to the kernel (and serve large blocks with mmap), so every
  // call or move faults its pages in again: a page fault per 4 KiB. Keeping freed memory in one
  // heap made a 64 KiB call about twice as fast and a 64 MiB export about five times as fast
  // here (see docs/decisions.md). Small allocations still use glibc's per-thread caches.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

void configure_logging(const std::string& level) {
  // Logs go to stderr: stdout belongs to the program (a node prints its ready line there).
  static const bool once = [] {
    spdlog::set_default_logger(spdlog::stderr_color_mt("hatch"));
    return true;
  }();
  (void)once;
  spdlog::set_level(spdlog::level::from_str(level));
}

int run_node(const NodeFlags& node, const Options& options, const std::string& log_level) {
  configure_logging(log_level);
  // A peer that vanishes must not kill the node: writes report EPIPE instead.
  std::signal(SIGPIPE, SIG_IGN);
  keep_freed_memory();
  if (options.secret.empty()) {
    std::fprintf(
        stderr,
        "hatch node: no cluster secret: pass --hatch-secret-file FILE or set HATCH_SECRET_FILE\n");
    return 2;
  }
  NodeOptions node_options;
  node_options.listen = node.listen;
  node_options.join = node.join;
  node_options.advertise = node.advertise;
  node_options.secret = options.secret;
  node_options.tls = options.tls;
  node_options.io_threads = options.io_threads;
  node_options.call_timeout = options.call_timeout;
  node_options.stall_timeout = options.stall_timeout;
  node_options.limits = options.limits;
  node_options.emulated_link_latency = options.emulated_link_latency;
  node_options.origin_lease = node.origin_lease;
  node_options.drain_timeout = node.drain_timeout;
  try {
    // The HTTP server starts first, so that the address it logs is there once the node says
    // it listens (tests wait for that line).
    const std::unique_ptr<ops::HttpServer> http =
        serve_http(options, node_options.metrics, {}, "/metrics, /healthz");
    Node node(Catalog::program(), node_options);
    std::printf("hatch node listening on %s\n", node.address().c_str());
    std::fflush(stdout);
    node.run_until_signal();
    node.stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hatch node: %s\n", e.what());
    return 1;
  }
  return 0;
}

int run_node(const ParsedFlags& flags) {
  return run_node(flags.node, flags.options, flags.log_level);
}

App::App(int argc, char** argv) {
  ParsedFlags flags;
  try {
    flags = parse_flags(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    std::exit(2);
  }
  if (!flags.help.empty()) {
    std::fputs(flags.help.c_str(), stdout);
    std::exit(0);
  }
  configure_logging(flags.log_level);
  keep_freed_memory();
  if (!flags.node.listen.empty()) std::exit(run_node(flags));
  args_ = std::move(flags.rest);
  options_ = std::move(flags.options);
  learn_ = std::move(flags.learn);
}

App::~App() = default;

Origin& App::origin() {
  if (!origin_) {
    if (!options_.http_listen.empty() && !options_.metrics) {
      options_.metrics = std::make_shared<internal::Metrics>();
    }
    origin_ = std::make_unique<Origin>(Catalog::program(), options_);
    dashboard_ = std::make_shared<AppDashboard>(*origin_);
    http_server_ = serve_http(options_, options_.metrics, ops::dashboard_routes(dashboard_),
                              "the dashboard; /api/..., /metrics, /healthz");
  }
  return *origin_;
}

std::string App::http_address() const {
  return http_server_ ? http_server_->address() : std::string();
}

Options& App::options() {
  if (origin_) throw UsageError("App::options: the origin exists already; set options before");
  return options_;
}

AutopilotOptions& App::learn_options() {
  if (autopilot_) throw UsageError("App::learn_options: the autopilot runs already");
  return learn_;
}

int App::run(const std::function<void()>& body) {
  try {
    if (learn_.enabled) {
      Origin& o = origin();
      dashboard_->attach(nullptr);
      autopilot_ = std::make_unique<Autopilot>(o, learn_);
      dashboard_->attach(autopilot_.get());
    }
    body();
    if (autopilot_) {
      autopilot_->stop();
      if (const std::string error = autopilot_->status().error; !error.empty()) {
        std::fprintf(stderr, "error: the autopilot stopped: %s\n", error.c_str());
        return 1;
      }
    }
    return 0;
  } catch (const std::exception& e) {
    if (autopilot_) autopilot_->stop();
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

}  // namespace hatch

// hatch_flood_bench: the processes that scripts/flood_bench runs around a flooded server.
//
//   hatch_flood_bench --hatch-node 127.0.0.1:0 --hatch-secret-file S   a node that can host the
//                                                                       tests' "echo" component
//   hatch_flood_bench node-caller --node ADDR --secret-file S          the node's legitimate caller
//   hatch_flood_bench web-caller --target ADDR --path /text/doc.txt    the web front end's
//   hatch_flood_bench crowd --target ADDR --connections 1000 --sources 100 --seconds 30
//
// A caller connects, makes one call, prints "ready", and then keeps calling at --rate calls per
// second on that one connection (bench/paced_caller.hpp), while it answers commands on standard
// input, one a line:
//   measure SECONDS  ->  "window seconds=S calls=N errors=E p50_us=X p99_us=Y" for the calls of
//                        the next SECONDS
//   newcomer         ->  "newcomer ok ms=T", or "newcomer failed ms=T: WHY": one call over a
//                        connection of its own, opened now (a new client arriving)
// It exits at the end of its input. The crowd (bench/unauthenticated_crowd.hpp) prints
// "crowd ready ..." once its connections have been tried, and "crowd done ..." with its counts
// when its input ends or --seconds pass.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

#include "hatch/app.hpp"
#include "hatch/catalog.hpp"
#include "hatch/hatch.hpp"
#include "hatch/internal/codec.hpp"
#include "hatch/origin.hpp"
#include "http_client.hpp"
#include "node_process.hpp"
#include "paced_caller.hpp"
#include "rpc/endpoint.hpp"
#include "rpc/io_pool.hpp"
#include "runtime/remote_component.hpp"
#include "test_interfaces.hpp"
#include "unauthenticated_crowd.hpp"

namespace hatch::bench {
namespace {

using Clock = std::chrono::steady_clock;

void print(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// The command loop of a caller: `call` is made by a PacedCaller at `rate`, and `newcomer` on
// request. Returns at the end of standard input.
int serve_commands(const std::function<void()>& call, double rate,
                   const std::function<void()>& newcomer) {
  call();  // the connection is up, before any flood
  PacedCaller caller(call, rate);
  print("ready");
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.rfind("measure ", 0) == 0) {
      const double seconds = std::stod(line.substr(8));
      caller.take();
      std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
      const PacedCaller::Window w = caller.take();
      char out[200];
      std::snprintf(out, sizeof out,
                    "window seconds=%.3f calls=%llu errors=%llu p50_us=%.1f p99_us=%.1f", w.seconds,
                    static_cast<unsigned long long>(w.latency.count),
                    static_cast<unsigned long long>(w.errors), w.latency.p50_ms * 1000,
                    w.latency.p99_ms * 1000);
      print(out);
    } else if (line == "newcomer") {
      const Clock::time_point t0 = Clock::now();
      try {
        newcomer();
        print("newcomer ok ms=" + std::to_string(ms_since(t0)));
      } catch (const std::exception& e) {
        print("newcomer failed ms=" + std::to_string(ms_since(t0)) + ": " + e.what());
      }
    } else {
      print("unknown command: " + line);
    }
  }
  return 0;
}

// The index of Echo's method `name`: its method id on the wire.
std::uint32_t echo_method(std::string_view name) {
  for (std::uint32_t i = 0; i < Echo::hatch_methods.size(); ++i) {
    if (Echo::hatch_methods[i].name == name) return i;
  }
  throw std::logic_error("Echo has no method " + std::string(name));
}

int node_caller(const std::string& node, const std::string& secret_file, double rate) {
  std::signal(SIGPIPE, SIG_IGN);
  configure_logging("warn");
  Options options;
  options.secret = read_secret_file(secret_file);
  options.placements["echo"] = node;
  Origin origin(Catalog::program(), options);
  Ref<Echo> echo = origin.get<Echo>("echo");
  const auto call = [&] {
    if (echo->add(20, 22) != 42) throw std::runtime_error("echo.add answered wrong");
  };
  const auto newcomer = [&] {
    rpc::IoPool io(2);
    const rpc::ClusterSecret secret = rpc::ClusterSecret::from_bytes(options.secret);
    rpc::Peer peer(rpc::tcp_network(), io.context(), node, secret,
                   rpc::PeerIdentity{"node", "flood-newcomer"}, rpc::ConnectionOptions{},
                   [](auto&&...) {});
    internal::WireBuffer args;
    internal::pack_args(args, std::int64_t{20}, std::int64_t{22});
    // Component 1 is "echo", the first (and only) component this origin created.
    runtime::call_remote(peer, 1, echo_method("add"), std::move(args.bytes()),
                         std::chrono::seconds(3), "add");
  };
  return serve_commands(call, rate, newcomer);
}

int web_caller(const std::string& target, const std::string& path, double rate) {
  std::signal(SIGPIPE, SIG_IGN);
  const auto get = [&](web::HttpClient& client) {
    const web::HttpReply reply = client.request("GET", path);
    if (reply.status != 200) {
      const std::string why = reply.body.substr(0, reply.body.find('\n'));
      throw std::runtime_error("answered " + std::to_string(reply.status) + ": " + why);
    }
  };
  web::HttpClient client(target);
  const auto newcomer = [&] {
    web::HttpClient fresh(target);
    get(fresh);
  };
  return serve_commands([&] { get(client); }, rate, newcomer);
}

int crowd(const CrowdOptions& options, double seconds) {
  std::signal(SIGPIPE, SIG_IGN);
  UnauthenticatedCrowd crowd(options);
  const auto said = [](const char* what, const CrowdCounts& c) {
    char out[200];
    std::snprintf(out, sizeof out,
                  "crowd %s open=%zu peak_open=%zu connects=%llu closed_by_server=%llu "
                  "failed_connects=%llu",
                  what, c.open, c.peak_open, static_cast<unsigned long long>(c.connects),
                  static_cast<unsigned long long>(c.closed_by_server),
                  static_cast<unsigned long long>(c.failed_connects));
    print(out);
  };
  const Clock::time_point start = Clock::now();
  crowd.run(
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)),
      STDIN_FILENO, [&](const CrowdCounts& c) { said("ready", c); });
  said("done", crowd.counts());
  return 0;
}

}  // namespace
}  // namespace hatch::bench

int main(int argc, char** argv) {
  if (int status = hatch::test::run_node_if_asked(argc, argv); status >= 0) return status;
  CLI::App cli("hatch_flood_bench: the callers and the crowd of scripts/flood_bench");
  cli.require_subcommand(1);
  double rate = 500;
  std::string node, secret_file, target, path;
  CLI::App* node_cmd = cli.add_subcommand("node-caller", "call a node's echo component");
  node_cmd->add_option("--node", node, "the node, host:port")->required();
  node_cmd->add_option("--secret-file", secret_file)->required()->check(CLI::ExistingFile);
  CLI::App* web_cmd = cli.add_subcommand("web-caller", "fetch one document from the web server");
  web_cmd->add_option("--target", target, "the web server, host:port")->required();
  web_cmd->add_option("--path", path, "the document")->required();
  for (CLI::App* cmd : {node_cmd, web_cmd}) {
    cmd->add_option("--rate", rate, "calls per second")
        ->check(CLI::Range(1.0, 100000.0))
        ->capture_default_str();
  }
  hatch::bench::CrowdOptions crowd;
  double seconds = 60;
  CLI::App* crowd_cmd = cli.add_subcommand("crowd", "hold unauthenticated connections to a node");
  crowd_cmd->add_option("--target", crowd.target, "the node, host:port")->required();
  crowd_cmd->add_option("--connections", crowd.connections)->capture_default_str();
  crowd_cmd->add_option("--sources", crowd.sources)->capture_default_str();
  crowd_cmd->add_option("--reconnects-per-s", crowd.reconnects_per_s)->capture_default_str();
  crowd_cmd->add_option("--seconds", seconds, "stop after this long at most")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  CLI11_PARSE(cli, argc, argv);
  try {
    if (node_cmd->parsed()) return hatch::bench::node_caller(node, secret_file, rate);
    if (web_cmd->parsed()) return hatch::bench::web_caller(target, path, rate);
    return hatch::bench::crowd(crowd, seconds);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hatch_flood_bench: %s\n", e.what());
    return 1;
  }
}

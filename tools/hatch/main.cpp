// hatch: the command-line tool.
//   hatch node   a node linked with the examples' components (kv_counter, webserver)
//   hatch sim    the learner against the simulator (src/sim/sim_run.hpp)
//   hatch certs  a cluster CA and a key and certificate per member, for mutual TLS
//                (src/rpc/cluster_certs.hpp)
// Later subcommands (demo, status, bench) join them here.
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "hatch/app.hpp"
#include "rpc/cluster_certs.hpp"
#include "rpc/tls_network.hpp"
#include "sim/sim_run.hpp"
#include "status.hpp"

namespace {

void add_sim_options(CLI::App& sim, hatch::sim::SimOptions& o) {
  auto* scenario = sim.add_option("--scenario", o.scenario_path, "a scenario file (TOML)")
                       ->check(CLI::ExistingFile);
  auto* random = sim.add_option("--random", o.random, "run N random scenarios, seeds S .. S+N-1")
                     ->check(CLI::Range(1, 100000));
  scenario->excludes(random);
  sim.add_option("--seed", o.seed, "the first seed (learner and noise; random scenarios too)");
  sim.add_option("--components", o.shape.components, "components of a random scenario (3-32)")
      ->check(CLI::Range(3, 32));
  sim.add_option("--hosts", o.shape.nodes, "nodes of a random scenario besides the origin (1-12)")
      ->check(CLI::Range(1, 12));
  sim.add_option("--shift-at", o.shift_at, "the window at which the workload shifts")
      ->check(CLI::Range(1, 1000000));
  sim.add_option("--windows", o.max_windows, "windows to run per scenario")
      ->check(CLI::Range(1, 1000000));
  sim.add_option("--brute-force-max", o.brute_force_limit,
                 "largest space searched exhaustively; larger ones are judged against the best "
                 "of 10,000 random designs");
  sim.add_option("--concurrent-agents", o.concurrent_agents,
                 "the most agents that explore at once (1: one at a time)")
      ->check(CLI::Range(1, 64));
  auto* twin =
      sim.add_flag("--twin", o.twin,
                   "fit a calibrated twin on each scenario's own windows and report its prediction "
                   "error");
  sim.add_option("--screen", o.screen_loss,
                 "with --twin: do not run probes the twin predicts this much slower than the "
                 "incumbent (0.5: 50% slower)")
      ->check(CLI::PositiveNumber)
      ->needs(twin);
  sim.add_flag("--suggest", o.suggest,
               "with --twin: run the designs the twin predicts best before the learner's agents "
               "take their turns")
      ->needs(twin);
  sim.add_option("--threads", o.threads, "brute-force threads (0: one per core)");
  sim.add_option("--cap-ms", o.cap_ms, "the reward's cap (default: 2x a first all-local window)")
      ->check(CLI::PositiveNumber);
  sim.add_option("--json", o.json_path, "write the results as JSON");
  sim.add_option("--csv", o.csv_path, "write the convergence curves as CSV");
  sim.add_option("--plot", o.plot_path, "write the convergence plot as SVG");
  sim.add_option("--matrix", o.matrix_path,
                 "write the learner's action/reward matrix (.csv or .json), last scenario");
  sim.add_flag("!--no-progress", o.progress, "no progress line on stderr");
}

int run_node(const hatch::NodeFlags& flags, const std::string& secret_file,
             const hatch::TlsFiles& tls, int io_threads, int latency_ms,
             const std::string& http_listen, const std::string& http_token_file,
             const std::string& log_level) {
  hatch::Options options;
  try {
    options.secret = hatch::read_secret_file(secret_file);
    if (tls.enabled()) hatch::rpc::check_tls_files(tls);
    options.tls = tls;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hatch node: %s\n", e.what());
    return 2;
  }
  options.io_threads = io_threads;
  options.http_listen = http_listen;
  options.http_token_file = http_token_file;
  options.emulated_link_latency = std::chrono::milliseconds(latency_ms);
  return hatch::run_node(flags, options, log_level);
}

int run_certs(const std::string& dir, const std::vector<std::string>& names, int days) {
  try {
    for (const hatch::rpc::WrittenFile& file : hatch::rpc::make_cluster_certs(dir, names, days)) {
      std::printf("wrote %s: %s\n", file.path.c_str(), file.what.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hatch certs: %s\n", e.what());
    return 2;
  }
  std::printf(
      "a member NAME runs with --hatch-tls-cert %s/NAME.crt --hatch-tls-key %s/NAME.key "
      "--hatch-tls-ca %s/ca.crt\n",
      dir.c_str(), dir.c_str(), dir.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli("hatch: run and inspect self-distributing systems");
  cli.require_subcommand(1);
  CLI::App* node = cli.add_subcommand("node", "run a node that hosts components for an origin");
  hatch::NodeFlags flags;
  std::string secret_file;
  int io_threads = 64;
  int latency_ms = 0;
  int lease_ms = static_cast<int>(hatch::NodeOptions{}.origin_lease.count());
  int drain_ms = static_cast<int>(hatch::NodeOptions{}.drain_timeout.count());
  std::string log_level = "info";
  node->add_option("--listen", flags.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->required();
  node->add_option("--join", flags.join,
                   "HOST:PORT of a running origin's door (its --hatch-listen) to join; without "
                   "it the origin must find the node itself (--hatch-nodes)");
  node->add_option("--advertise", flags.advertise,
                   "HOST:PORT the origin should dial this node at (default: the --listen "
                   "address, which must then name a host)");
  node->add_option("--secret-file", secret_file, "file holding the cluster secret")
      ->envname("HATCH_SECRET_FILE")
      ->required();
  hatch::TlsFiles tls;
  CLI::Option* cert = node->add_option("--tls-cert", tls.cert_file,
                                       "mutual TLS: the node's certificate (with --tls-key and "
                                       "--tls-ca; `hatch certs` makes them)");
  CLI::Option* key = node->add_option("--tls-key", tls.key_file, "mutual TLS: its private key");
  CLI::Option* ca = node->add_option("--tls-ca", tls.ca_file, "mutual TLS: the CA's certificate");
  cert->needs(key)->needs(ca);
  key->needs(cert)->needs(ca);
  ca->needs(cert)->needs(key);
  node->add_option("--io-threads", io_threads, "I/O and serving threads")
      ->check(CLI::Range(2, 1024));
  node->add_option("--emulated-link-latency-ms", latency_ms,
                   "EMULATION: hold every frame the node sends this long, as if its links were "
                   "longer (default 0: off)")
      ->check(CLI::Range(0, 10000));
  node->add_option("--drain-timeout-ms", drain_ms,
                   "on SIGTERM or SIGINT, how long to wait for the origin to move the node's "
                   "components away before stopping anyway (default 60000; 0: stop at once)")
      ->check(CLI::Range(0, 3600000));
  node->add_option("--origin-lease-ms", lease_ms,
                   "how long after its origin was lost without resigning the node still refuses "
                   "a different origin (default 10000)")
      ->check(CLI::Range(0, 3600000));
  std::string http_listen;
  std::string http_token_file;
  node->add_option("--http-listen", http_listen,
                   "HOST:PORT to serve GET /metrics (Prometheus text format) and /healthz on "
                   "(default: off; off loopback it needs --http-token-file)");
  node->add_option("--http-token-file", http_token_file,
                   "a file holding the token HTTP clients must send (Authorization: Bearer)");
  node->add_option("--log-level", log_level)
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  CLI::App* sim = cli.add_subcommand("sim", "run the learner against the simulator");
  hatch::sim::SimOptions sim_options;
  add_sim_options(*sim, sim_options);
  CLI::App* certs = cli.add_subcommand(
      "certs", "make a cluster CA, and a key and certificate for each member, for mutual TLS");
  std::string certs_dir;
  std::vector<std::string> names;
  int days = 365;
  certs->add_option("--out", certs_dir, "the directory to write to (a CA already there is reused)")
      ->required();
  certs
      ->add_option("--names", names,
                   "the members, each by the host name or IP address that others dial it by")
      ->delimiter(',')
      ->required();
  certs->add_option("--days", days, "how long the certificates are valid (default 365)")
      ->check(CLI::Range(1, hatch::rpc::kMaxCertDays));
  CLI::App* status = cli.add_subcommand(
      "status", "print an origin's nodes, placements, learner and last moves, read over HTTP");
  hatch::tool::StatusOptions status_options;
  hatch::tool::add_status_options(*status, status_options);
  CLI11_PARSE(cli, argc, argv);
  if (status->parsed()) return hatch::tool::run_status(status_options);
  if (sim->parsed()) return hatch::sim::run_sim(sim_options);
  if (certs->parsed()) return run_certs(certs_dir, names, days);
  flags.origin_lease = std::chrono::milliseconds(lease_ms);
  flags.drain_timeout = std::chrono::milliseconds(drain_ms);
  return run_node(flags, secret_file, tls, io_threads, latency_ms, http_listen, http_token_file,
                  log_level);
}

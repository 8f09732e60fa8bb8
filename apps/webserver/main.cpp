// webserver: the self-distributing web server (docs/webserver.md). One binary is the origin
// (serve), a node (--hatch-node), the corpus generator (corpus) and the load generator (load):
//
//   webserver corpus /tmp/corpus --files 1000 --seed 42
//   webserver --hatch-node 127.0.0.1:7001 --hatch-secret-file secret --hatch-io-threads 64 &
//   webserver serve --data-dir /tmp/corpus --listen 127.0.0.1:8080
//             --hatch-secret-file secret --hatch-place cache=127.0.0.1:7001
//   webserver load --target 127.0.0.1:8080 --corpus /tmp/corpus
//             --phase seconds=10,hot=20 --phase seconds=10,text=0.2,writes=0.1
//   webserver demo --data-dir /tmp/corpus --phase ... --learn-seconds 60 --out /tmp/demo
//             --hatch-config apps/webserver/learn.toml --hatch-nodes 127.0.0.1:7001,...
// (each command on one line). It is a hatch::App: its own flags (--data-dir, the emulation
// options) become component configuration through App::options(), and the App's autopilot
// learns where the components run when the configuration turns learning on ([learn] or
// --hatch-learn); `demo` requires it.
#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <CLI/CLI.hpp>

#include "corpus.hpp"
#include "frontend.hpp"
#include "hatch/app.hpp"
#include "load_generator.hpp"
#include "request_handler.hpp"
#include "showcase.hpp"

namespace {

using hatch::web::FrontendOptions;

// The emulation options of the components, shared by serve and demo.
struct EmulationFlags {
  std::int64_t access_us = 0, access_slots = 1, cache_bytes = 64 << 20;
  std::vector<std::string> cache_at;  // HOST=BYTES
  CLI::Option* access_opt = nullptr;
  CLI::Option* slots_opt = nullptr;
  CLI::Option* cache_opt = nullptr;

  void add_to(CLI::App* cmd) {
    access_opt = cmd->add_option("--emulated-access-us", access_us,
                                 "emulated time of one content store access, in microseconds")
                     ->check(CLI::Range(std::int64_t{0}, std::int64_t{10'000'000}));
    slots_opt =
        cmd->add_option("--emulated-access-slots", access_slots,
                        "accesses one content store instance's emulated device serves at once")
            ->check(CLI::Range(std::int64_t{1}, std::int64_t{1024}));
    cache_opt = cmd->add_option("--emulated-cache-bytes", cache_bytes,
                                "emulated memory budget of each cache instance, in bytes")
                    ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40));
    cmd->add_option("--emulated-cache-bytes-at", cache_at,
                    "HOST=BYTES: the emulated cache budget on one host (repeatable)");
  }

  // Component configuration for the origin: the corpus directory and the options given.
  void configure(hatch::Options& options, const std::string& data_dir) const {
    options.configs["content_store"]["data_dir"] = std::filesystem::absolute(data_dir).string();
    if (*access_opt) options.configs["content_store"]["emulated_access_us"] = access_us;
    if (*slots_opt) options.configs["content_store"]["emulated_access_slots"] = access_slots;
    if (*cache_opt) options.configs["cache"]["emulated_cache_bytes"] = cache_bytes;
    for (const std::string& item : cache_at) {
      const std::size_t eq = item.rfind('=');
      if (eq == std::string::npos) throw std::invalid_argument("expected HOST=BYTES: " + item);
      options.configs["cache"]["emulated_cache_bytes@" + item.substr(0, eq)] =
          std::stoll(item.substr(eq + 1));
    }
  }
};

// Blocks SIGINT and SIGTERM in every thread created after it, then waits for one of them.
class StopSignal {
 public:
  StopSignal() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }
  void wait() {
    int signal = 0;
    sigwait(&set_, &signal);
  }

 private:
  sigset_t set_;
};

// The Frontend takes five descriptors per connection (frontend.hpp), so its default 512
// connections need more than the usual soft limit of 1024: raise it to the hard limit.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Says where the origin's dashboard is, when it serves one (--hatch-http-listen).
void print_dashboard(const hatch::App& app) {
  if (const std::string http = app.http_address(); !http.empty()) {
    std::printf(
        "dashboard: http://%s/ (live while this runs; `hatch status --origin %s` prints "
        "the same in a terminal)\n",
        http.c_str(), http.c_str());
  }
  std::fflush(stdout);
}

// Serves until SIGINT or SIGTERM; the autopilot, when on, learns meanwhile.
int serve(hatch::App& app, const FrontendOptions& frontend_options) {
  StopSignal stop;
  return app.run([&] {
    hatch::web::Frontend frontend(app.get<hatch::web::RequestHandler>("request_handler"),
                                  frontend_options);
    std::printf("webserver listening on http://%s\n", frontend.address().c_str());
    print_dashboard(app);
    stop.wait();
    frontend.stop();
  });
}

int demo(hatch::App& app, hatch::web::ShowcaseOptions& showcase, const std::string& data_dir,
         const std::vector<std::string>& phase_specs, const std::vector<double>& learn_seconds) {
  if (learn_seconds.size() != phase_specs.size()) {
    throw std::invalid_argument("demo: give one --learn-seconds per --phase (" +
                                std::to_string(phase_specs.size()) + " phases, " +
                                std::to_string(learn_seconds.size()) + " learning times)");
  }
  if (!app.learn_options().enabled) {
    throw std::invalid_argument(
        "demo: learning is off; give --hatch-config with a [learn] table (apps/webserver/"
        "learn.toml) or --hatch-learn, and the nodes with --hatch-nodes");
  }
  for (std::size_t i = 0; i < phase_specs.size(); ++i) {
    showcase.phases.push_back({hatch::web::LoadPhase::parse(phase_specs[i]), learn_seconds[i]});
  }
  showcase.paths = hatch::web::list_corpus(data_dir);
  int status = 1;
  const int ran = app.run([&] {
    FrontendOptions frontend_options;
    frontend_options.listen = "127.0.0.1:0";
    hatch::web::Frontend frontend(app.get<hatch::web::RequestHandler>("request_handler"),
                                  frontend_options);
    std::printf("webserver listening on http://%s\n", frontend.address().c_str());
    print_dashboard(app);
    status = hatch::web::run_showcase(*app.autopilot(), frontend, showcase);
    frontend.stop();
  });
  return ran != 0 ? ran : status;
}

}  // namespace

int main(int argc, char** argv) {
  hatch::App app(argc, argv);  // as a node: serves here and exits

  CLI::App cli("webserver: an HTTP server made of Hatch components, its corpus and its load");
  cli.footer(hatch::kHatchFlagsFooter);
  cli.require_subcommand(1);

  FrontendOptions frontend_options;
  std::string data_dir;
  EmulationFlags serve_emulation;
  CLI::App* serve_cmd = cli.add_subcommand("serve", "serve the corpus over HTTP (the origin)");
  serve_cmd->add_option("--data-dir", data_dir, "the corpus directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  serve_cmd->add_option("--listen", frontend_options.listen, "HTTP address, host:port")
      ->capture_default_str();
  serve_cmd->add_option("--max-connections", frontend_options.max_connections)
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  for (const auto& [flag, deadline, meaning] :
       {std::tuple{"--header-deadline-ms", &frontend_options.header_deadline,
                   "time to receive a request header; also closes idle connections"},
        std::tuple{"--body-deadline-ms", &frontend_options.body_deadline,
                   "time to receive a request body, after its header"},
        std::tuple{"--request-deadline-ms", &frontend_options.request_deadline,
                   "time for a whole request, its answer written"}}) {
    serve_cmd
        ->add_option_function<std::int64_t>(
            flag, [d = deadline](std::int64_t ms) { *d = std::chrono::milliseconds(ms); }, meaning)
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{86'400'000}))
        ->default_str(std::to_string(deadline->count()));
  }
  serve_cmd
      ->add_option("--max-inflight-body-bytes", frontend_options.max_inflight_body_bytes,
                   "request body bytes held at once, across connections")
      ->capture_default_str();
  serve_emulation.add_to(serve_cmd);

  hatch::web::ShowcaseOptions showcase;
  EmulationFlags demo_emulation;
  std::vector<std::string> demo_phases;
  std::vector<double> learn_seconds;
  CLI::App* demo_cmd = cli.add_subcommand(
      "demo", "learn where the components should run on the given nodes, under shifting load");
  demo_cmd->add_option("--data-dir", data_dir, "the corpus directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  demo_cmd
      ->add_option("--phase", demo_phases,
                   "a workload phase, as for load (repeatable; its seconds are unused)")
      ->required();
  demo_cmd->add_option("--learn-seconds", learn_seconds, "learning time of each phase")
      ->required()
      ->check(CLI::Range(1.0, 3600.0));
  demo_cmd->add_option("--sweep-window-seconds", showcase.sweep_window_seconds)
      ->check(CLI::Range(0.2, 60.0))
      ->capture_default_str();
  demo_cmd->add_option("--compare-seconds", showcase.compare_seconds)
      ->check(CLI::Range(0.5, 600.0))
      ->capture_default_str();
  demo_cmd->add_option("--out", showcase.out_dir, "where reward.csv and reward.svg go")->required();
  demo_cmd->add_option("--json", showcase.json_path, "write the bench figures here too");
  demo_cmd->add_option("--seed", showcase.seed, "seeds the load generator")->capture_default_str();
  demo_emulation.add_to(demo_cmd);

  std::string corpus_dir;
  std::size_t files = 1000;
  std::uint64_t seed = 1;
  CLI::App* corpus_cmd = cli.add_subcommand("corpus", "generate a corpus, the same for a seed");
  corpus_cmd->add_option("dir", corpus_dir, "where to write it")->required();
  corpus_cmd->add_option("--files", files)->check(CLI::Range(1, 1'000'000))->capture_default_str();
  corpus_cmd->add_option("--seed", seed)->capture_default_str();

  hatch::web::LoadOptions load;
  std::string load_corpus;
  std::vector<std::string> phase_specs;
  CLI::App* load_cmd = cli.add_subcommand("load", "drive a running server through phases");
  load_cmd->add_option("--target", load.target, "the server, host:port")->required();
  load_cmd->add_option("--corpus", load_corpus, "the corpus directory it serves")
      ->required()
      ->check(CLI::ExistingDirectory);
  load_cmd
      ->add_option("--phase", phase_specs,
                   "key=value,... with name, seconds, connections, rate (0: closed loop), text, "
                   "hot, hot_share, writes, accept (repeatable; one phase each)")
      ->required();
  load_cmd->add_option("--seed", load.seed)->capture_default_str();

  std::vector<const char*> rest;
  for (const std::string& a : app.args()) rest.push_back(a.c_str());
  try {
    cli.parse(static_cast<int>(rest.size()), rest.data());
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }

  try {
    if (corpus_cmd->parsed()) {
      const std::vector<std::string> paths = hatch::web::generate_corpus(corpus_dir, files, seed);
      std::printf("wrote %zu documents to %s\n", paths.size(), corpus_dir.c_str());
      return 0;
    }
    if (load_cmd->parsed()) {
      load.paths = hatch::web::list_corpus(load_corpus);
      for (const std::string& spec : phase_specs) {
        load.phases.push_back(hatch::web::LoadPhase::parse(spec));
      }
      hatch::web::run_load(load, [](const hatch::web::PhaseResult& r) {
        std::printf("%s\n", hatch::web::to_string(r).c_str());
        std::fflush(stdout);
      });
      return 0;
    }
    raise_descriptor_limit();
    if (demo_cmd->parsed()) {
      demo_emulation.configure(app.options(), data_dir);
      return demo(app, showcase, data_dir, demo_phases, learn_seconds);
    }
    serve_emulation.configure(app.options(), data_dir);
    return serve(app, frontend_options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

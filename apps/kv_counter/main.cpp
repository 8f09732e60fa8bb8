// kv_counter: the foundation's example. Run it as the origin, optionally with "kv" or
// "counter" placed on a node started from the same binary with --hatch-node:
//
//   kv_counter --hatch-node 127.0.0.1:7001 --hatch-secret-file secret &
//   kv_counter --hatch-secret-file secret --hatch-place kv=127.0.0.1:7001 [--ops N]
//   kv_counter --hatch-secret-file secret --move-kv-between
//   '127.0.0.1:7001,sharded{127.0.0.1:7001,local}'
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "hatch/hatch.hpp"
#include "kv_counter.hpp"

int main(int argc, char** argv) {
  hatch::App app(argc, argv);
  CLI::App cli("kv_counter: a key-value store and a counter, local or on nodes");
  cli.footer(hatch::kHatchFlagsFooter);
  int ops = 20000;
  std::string move_between;
  cli.add_option("--ops", ops, "counter increments to run")->check(CLI::Range(1, 100000000));
  cli.add_option("--move-kv-between", move_between,
                 "while counting, keep moving kv: origin -> each of these placements -> origin, "
                 "at least once round (by commas: HOST:PORT, sharded{A,B}, replicated{A,local})");
  std::vector<const char*> rest;
  for (const std::string& a : app.args()) rest.push_back(a.c_str());
  try {
    cli.parse(static_cast<int>(rest.size()), rest.data());
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }
  std::vector<hatch::Placement> homes;
  try {
    if (!move_between.empty()) {
      for (const std::string& item : hatch::split_placements(move_between)) {
        homes.push_back(hatch::Placement::parse(item));
      }
      homes.push_back(hatch::Placement::local());
    }
  } catch (const hatch::UsageError& e) {
    std::fprintf(stderr, "--move-kv-between: %s\n", e.what());
    return 2;
  }
  return app.run([&] {
    hatch::Ref<Counter> counter = app.get<Counter>("counter");
    hatch::Ref<KeyValue> kv = app.get<KeyValue>("kv");
    std::printf("counter: %s   kv: %s\n", counter.binding().to_string().c_str(),
                kv.binding().to_string().c_str());
    const auto start = std::chrono::steady_clock::now();
    std::atomic<bool> counting{true};
    std::thread mover;
    std::string move_error;  // why the mover stopped early; read after it is joined
    if (!homes.empty()) {
      mover = std::thread([&] {
        try {
          for (std::size_t i = 0; i < homes.size() || counting.load(); ++i) {
            for (const hatch::TransitionReport& r :
                 app.origin().apply({{"kv", homes[i % homes.size()]}})) {
              std::printf("\n  %s", r.to_string().c_str());
              if (!r.ok) {
                move_error = "a move of kv failed: " + r.to_string();
                return;
              }
            }
          }
        } catch (const std::exception& e) {
          move_error = std::string("cannot move kv: ") + e.what();
        }
      });
    }
    std::int64_t last = 0;
    for (int i = 0; i < ops; ++i) {
      last = counter->add("visits", 1);
      if ((i + 1) % (ops / 10 > 0 ? ops / 10 : 1) == 0) {
        std::printf("\r  %d/%d increments", i + 1, ops);
        std::fflush(stdout);
      }
    }
    counting.store(false);
    if (mover.joinable()) mover.join();
    if (!move_error.empty()) throw std::runtime_error(move_error);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("\ncounter 'visits' = %lld after %d increments (expected %d)\n",
                static_cast<long long>(last), ops, ops);
    std::printf("%.0f increments/s, %.1f us each (each is 1 counter call + 2 kv calls)\n",
                ops / seconds, seconds * 1e6 / ops);
    kv->put("greeting", "hello from the origin");
    std::printf("kv holds %llu entries; greeting = %s\n",
                static_cast<unsigned long long>(kv->size()),
                kv->get("greeting").value_or("?").c_str());
    if (last != ops) throw std::runtime_error("the counter lost increments");
  });
}

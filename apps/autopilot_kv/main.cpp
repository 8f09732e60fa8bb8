// autopilot_kv: a program with no learning code that distributes itself. Its configuration
// (autopilot_kv.toml, or --hatch-learn --hatch-nodes ...) turns learning on; the App's
// autopilot then finds where "store" and "audit" should run while the load below runs:
//
//   autopilot_kv --hatch-node 127.0.0.1:7001 --hatch-secret-file secret &     (and more nodes)
//   autopilot_kv --hatch-config autopilot_kv.toml --hatch-secret-file secret --hatch-log-level info
//
// The load: --threads threads give every key a value, then call the store with random keys
// until SIGINT or SIGTERM; a share of those calls writes (each thread writes its own keys, so the
// last acknowledged value of every key is known), and every write is recorded in the audit trail.
// On the signal it checks that every acknowledged write is in the store, wherever the store went
// meanwhile, and exits 1 if one is missing.
#include <csignal>

#include <atomic>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "autopilot_kv.hpp"
#include "hatch/hatch.hpp"

namespace {

std::atomic<bool> stopping{false};

extern "C" void on_stop(int) {
  stopping.store(true);
}

struct Written {
  std::string acknowledged;  // the last value whose put returned
  std::string pending;       // a later put that failed: it may or may not have applied
};

}  // namespace

int main(int argc, char** argv) {
  hatch::App app(argc, argv);
  CLI::App cli("autopilot_kv: a key-value store that learns where to run");
  int threads = 4;
  int keys = 3000;
  double write_share = 0.2;
  cli.add_option("--threads", threads, "client threads")->check(CLI::Range(1, 256));
  cli.add_option("--keys", keys, "distinct keys")->check(CLI::Range(1, 10'000'000));
  cli.add_option("--write-share", write_share)->check(CLI::Range(0.0, 1.0));
  std::vector<const char*> rest;
  for (const std::string& a : app.args()) rest.push_back(a.c_str());
  try {
    cli.parse(static_cast<int>(rest.size()), rest.data());
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }
  std::signal(SIGINT, on_stop);
  std::signal(SIGTERM, on_stop);
  return app.run([&] {
    hatch::Ref<Store> store = app.get<Store>("store");
    hatch::Ref<Audit> audit = app.get<Audit>("audit");
    std::vector<std::vector<Written>> written(threads, std::vector<Written>(keys));
    std::vector<std::uint64_t> acknowledged(threads, 0), failed(threads, 0);
    std::vector<std::thread> clients;
    for (int t = 0; t < threads; ++t) {
      clients.emplace_back([&, t] {
        std::mt19937_64 rng(static_cast<std::uint64_t>(t) + 1);
        std::uniform_int_distribution<int> pick(0, keys - 1);
        std::bernoulli_distribution writes(write_share);
        // First every key gets a value, from the thread that owns it.
        for (int k = t; k < keys && !stopping.load(); k += threads) {
          const std::string value = std::to_string(t) + ":" + std::to_string(k);
          store->put("k" + std::to_string(k), value);
          written[t][k] = {value, {}};
          ++acknowledged[t];
          audit->record("k" + std::to_string(k));
        }
        for (std::uint64_t n = 0; !stopping.load(); ++n) {
          const int k = pick(rng);
          const std::string key = "k" + std::to_string(k);
          // Thread t writes only the keys it owns: k % threads == t.
          if (writes(rng) && k % threads == t) {
            const std::string value = std::to_string(t) + ":" + std::to_string(n);
            try {
              store->put(key, value);
              written[t][k] = {value, {}};
              ++acknowledged[t];
              audit->record(key);
            } catch (const std::exception& e) {
              written[t][k].pending = value;
              ++failed[t];
            }
          } else {
            try {
              store->get(key);
            } catch (const std::exception&) {
              ++failed[t];
            }
          }
        }
      });
    }
    for (std::thread& c : clients) c.join();
    std::uint64_t total = 0, lost = 0, unknown = 0;
    for (int t = 0; t < threads; ++t) {
      total += acknowledged[t];
      unknown += failed[t];
      for (int k = t; k < keys; k += threads) {
        const Written& w = written[t][k];
        if (w.acknowledged.empty()) continue;
        const std::string now = store->get("k" + std::to_string(k)).value_or("");
        if (now != w.acknowledged && now != w.pending) ++lost;
      }
    }
    std::printf("%llu acknowledged writes, %llu lost; %llu calls failed\n",
                static_cast<unsigned long long>(total), static_cast<unsigned long long>(lost),
                static_cast<unsigned long long>(unknown));
    if (lost > 0) throw std::runtime_error("acknowledged writes were lost");
  });
}

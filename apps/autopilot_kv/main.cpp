// autopilot_kv: a program with no learning code that distributes itself. Its configuration
// (autopilot_kv.toml, or --hatch-learn --hatch-nodes ...) turns learning on; the App's
// autopilot then finds where "store" and "audit" should run while the load below runs:
//
//   autopilot_kv --hatch-node 127.0.0.1:7001 --hatch-secret-file secret &     (and more nodes)
//   autopilot_kv --hatch-config autopilot_kv.toml --hatch-secret-file secret --hatch-log-level info
//
// The load: --threads threads give every key a value; then, while the service runs (and the
// autopilot with it), they call the store with random keys until SIGINT, SIGTERM or --seconds
// have passed; a share of those calls writes (each thread writes its own keys, so the
// last acknowledged value of every key is known), and every write is recorded in the audit trail.
// On the signal it checks that every acknowledged write is in the store, wherever the store went
// meanwhile, and exits 1 if one is missing.
#include <csignal>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
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
  cli.footer(hatch::kHatchFlagsFooter);
  int threads = 4;
  int keys = 3000;
  double write_share = 0.2;
  cli.add_option("--threads", threads, "client threads")->check(CLI::Range(1, 256));
  cli.add_option("--keys", keys, "distinct keys")->check(CLI::Range(1, 10'000'000));
  cli.add_option("--write-share", write_share)->check(CLI::Range(0.0, 1.0));
  double seconds = 0;
  cli.add_option("--seconds", seconds, "stop after this long of random calls (0: at the signal)")
      ->check(CLI::Range(0.0, 86400.0));
  std::vector<const char*> rest;
  for (const std::string& a : app.args()) rest.push_back(a.c_str());
  try {
    cli.parse(static_cast<int>(rest.size()), rest.data());
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }
  std::signal(SIGINT, on_stop);
  std::signal(SIGTERM, on_stop);
  hatch::Ref<Store> store;
  hatch::Ref<Audit> audit;
  try {
    store = app.get<Store>("store");
    audit = app.get<Audit>("audit");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  std::vector<std::vector<Written>> written(threads, std::vector<Written>(keys));
  std::vector<std::uint64_t> acknowledged(threads, 0), failed(threads, 0), calls(threads, 0);
  // Each thread runs `work(t)`, and they are joined.
  auto in_threads = [&](const std::function<void(int)>& work) {
    std::vector<std::thread> clients;
    for (int t = 0; t < threads; ++t) clients.emplace_back(work, t);
    for (std::thread& c : clients) c.join();
  };
  // Thread t's write of `value` to key k: acknowledged once put returns, then recorded in the
  // audit trail. A put that throws may or may not have applied: its value is kept as pending.
  auto write = [&](int t, int k, const std::string& value) {
    const std::string key = "k" + std::to_string(k);
    try {
      store->put(key, value);
    } catch (...) {
      written[t][k].pending = value;
      throw;
    }
    written[t][k] = {value, {}};
    ++acknowledged[t];
    audit->record(key);
  };
  // First every key gets a value, from the thread that owns it (k % threads == t).
  std::atomic<int> fill_failures{0};
  in_threads([&](int t) {
    for (int k = t; k < keys && !stopping.load(); k += threads) {
      try {
        write(t, k, std::to_string(t) + ":" + std::to_string(k));
      } catch (const std::exception& e) {
        if (fill_failures.fetch_add(1) == 0) std::fprintf(stderr, "error: %s\n", e.what());
        return;
      }
    }
  });
  if (fill_failures.load() > 0) return 1;
  // Then the service runs, and with it the autopilot when the configuration turns it on.
  std::chrono::steady_clock::time_point random_start, random_end;
  const int served = app.run([&] {
    std::thread timer;
    if (seconds > 0) {
      timer = std::thread([&] {
        const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (!stopping.load() && std::chrono::steady_clock::now() < end) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        stopping.store(true);
      });
    }
    random_start = std::chrono::steady_clock::now();
    in_threads([&](int t) {
      std::mt19937_64 rng(static_cast<std::uint64_t>(t) + 1);
      std::uniform_int_distribution<int> pick(0, keys - 1);
      std::bernoulli_distribution writes(write_share);
      for (std::uint64_t n = 0; !stopping.load(); ++n, ++calls[t]) {
        const int k = pick(rng);
        if (writes(rng) && k % threads == t) {
          try {
            write(t, k, std::to_string(t) + ":" + std::to_string(n));
          } catch (const std::exception&) {
            ++failed[t];
          }
        } else {
          try {
            store->get("k" + std::to_string(k));
          } catch (const std::exception&) {
            ++failed[t];
          }
        }
      }
    });
    random_end = std::chrono::steady_clock::now();
    if (timer.joinable()) timer.join();
  });
  if (served != 0) return served;
  // The service has stopped (the autopilot too): every acknowledged write must be in the store.
  try {
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
    std::uint64_t random_calls = 0;
    for (std::uint64_t c : calls) random_calls += c;
    const double random_seconds = std::chrono::duration<double>(random_end - random_start).count();
    std::printf("%llu acknowledged writes, %llu lost; %llu calls failed\n",
                static_cast<unsigned long long>(total), static_cast<unsigned long long>(lost),
                static_cast<unsigned long long>(unknown));
    std::printf("random calls: %llu in %.2f s = %.0f calls/s\n",
                static_cast<unsigned long long>(random_calls), random_seconds,
                random_seconds > 0 ? static_cast<double>(random_calls) / random_seconds : 0.0);
    return lost > 0 ? 1 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

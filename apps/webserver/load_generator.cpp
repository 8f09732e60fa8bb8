#include "load_generator.hpp"

#include <atomic>
#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "corpus.hpp"
#include "http_client.hpp"
#include "perception/latency_histogram.hpp"
#include "split_mix64.hpp"

namespace hatch::web {
namespace {

using Clock = std::chrono::steady_clock;

double number(std::string_view key, std::string_view text, double min, double max) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !(v >= min && v <= max)) {
    throw std::invalid_argument("load phase: " + std::string(key) + "=" + std::string(text) +
                                " is not a number from " + std::to_string(min) + " to " +
                                std::to_string(max));
  }
  return v;
}

struct Corpus {
  std::vector<std::string> text;
  std::vector<std::string> binary;
};

const std::string& pick(const LoadPhase& phase, const Corpus& corpus, SplitMix64& choices) {
  const bool text =
      corpus.binary.empty() || (!corpus.text.empty() && choices.unit() < phase.text_share);
  const std::vector<std::string>& kind = text ? corpus.text : corpus.binary;
  const std::size_t hot = std::min(phase.hot_set, kind.size());
  if (hot > 0 && choices.unit() < phase.hot_share) return kind[choices.below(hot)];
  return kind[choices.below(kind.size())];
}

// One client of a phase: sends until the phase ends, recording latencies and counting results.
struct Client {
  const LoadOptions& options;
  const LoadPhase& phase;
  const Corpus& corpus;
  LatencyHistogram& latency;
  std::atomic<std::uint64_t>& ok;
  std::atomic<std::uint64_t>& errors;
  std::atomic<std::uint64_t>& next_slot;  // open loop: the next scheduled request

  void run(std::uint64_t seed, Clock::time_point start, Clock::time_point end) {
    HttpClient http(options.target);
    SplitMix64 choices(seed);
    std::uint64_t writes = 0;
    while (true) {
      Clock::time_point due = Clock::now();
      if (phase.rate > 0) {
        const std::uint64_t slot = next_slot.fetch_add(1);
        due = start + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(static_cast<double>(slot) / phase.rate));
        if (due >= end) return;
        std::this_thread::sleep_until(due);
      } else if (due >= end) {
        return;
      }
      const std::string& path = pick(phase, corpus, choices);
      try {
        HttpReply reply;
        if (choices.unit() < phase.write_share) {
          reply = http.request(
              "PUT", path, {{"Content-Type", "text/plain"}},
              "uploaded by the load generator, write " + std::to_string(++writes) + "\n");
        } else if (choices.unit() < phase.compressed_share) {
          reply = http.request("GET", path, {{"Accept-Encoding", "zstd, gzip"}});
        } else {
          reply = http.request("GET", path);
        }
        if (reply.status < 200 || reply.status > 299) {
          ++errors;
          continue;
        }
        latency.record(std::chrono::duration<double, std::milli>(Clock::now() - due).count());
        ++ok;
      } catch (const std::exception&) {
        ++errors;
      }
    }
  }
};

PhaseResult run_phase(const LoadOptions& options, const LoadPhase& phase, const Corpus& corpus,
                      std::uint64_t seed) {
  LatencyHistogram latency;
  std::atomic<std::uint64_t> ok{0}, errors{0}, next_slot{0};
  const Clock::time_point start = Clock::now();
  const Clock::time_point end = start + phase.duration;
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < phase.connections; ++i) {
    threads.emplace_back([&, i] {
      Client{options, phase, corpus, latency, ok, errors, next_slot}.run(seed * 1000003 + i, start,
                                                                         end);
    });
  }
  for (std::thread& t : threads) t.join();
  PhaseResult r;
  r.name = phase.name;
  r.requests = ok.load();
  r.errors = errors.load();
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.requests_per_s = r.seconds > 0 ? static_cast<double>(r.requests) / r.seconds : 0;
  r.latency = latency.summary();
  return r;
}

}  // namespace

LoadPhase LoadPhase::parse(std::string_view spec) {
  LoadPhase phase;
  while (!spec.empty()) {
    const std::size_t comma = spec.find(',');
    const std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      throw std::invalid_argument("load phase: '" + std::string(item) + "' is not key=value");
    }
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = item.substr(eq + 1);
    if (key == "name") {
      phase.name = std::string(value);
    } else if (key == "seconds") {
      phase.duration = std::chrono::milliseconds(
          static_cast<std::int64_t>(number(key, value, 0.001, 3600) * 1000));
    } else if (key == "connections") {
      phase.connections = static_cast<std::size_t>(number(key, value, 1, 1024));
    } else if (key == "rate") {
      phase.rate = number(key, value, 0, 1e7);
    } else if (key == "text") {
      phase.text_share = number(key, value, 0, 1);
    } else if (key == "hot") {
      phase.hot_set = static_cast<std::size_t>(number(key, value, 0, 1e9));
    } else if (key == "hot_share") {
      phase.hot_share = number(key, value, 0, 1);
    } else if (key == "writes") {
      phase.write_share = number(key, value, 0, 1);
    } else if (key == "accept") {
      phase.compressed_share = number(key, value, 0, 1);
    } else {
      throw std::invalid_argument("load phase: unknown key '" + std::string(key) +
                                  "' (known: name, seconds, connections, rate, text, hot, "
                                  "hot_share, writes, accept)");
    }
  }
  return phase;
}

std::vector<PhaseResult> run_load(const LoadOptions& options,
                                  const std::function<void(const PhaseResult&)>& on_phase) {
  if (options.paths.empty()) throw std::invalid_argument("load: no documents to request");
  Corpus corpus;
  for (const std::string& p : options.paths) {
    (is_text_path(p) ? corpus.text : corpus.binary).push_back(p);
  }
  std::vector<PhaseResult> results;
  for (std::size_t i = 0; i < options.phases.size(); ++i) {
    results.push_back(run_phase(options, options.phases[i], corpus, options.seed + i));
    if (on_phase) on_phase(results.back());
  }
  return results;
}

std::string to_string(const PhaseResult& r) {
  char line[256];
  std::snprintf(line, sizeof line,
                "%s: %llu requests in %.1f s = %.0f req/s, p50 %.3f ms, p99 %.3f ms, %llu errors",
                r.name.c_str(), static_cast<unsigned long long>(r.requests), r.seconds,
                r.requests_per_s, r.latency.p50_ms, r.latency.p99_ms,
                static_cast<unsigned long long>(r.errors));
  return line;
}

}  // namespace hatch::web

// The load generator: HTTP clients that drive the web server through phases of a workload, so
// that the workload can shift mid-run, and measure what the clients see.
//
//   LoadOptions o{"127.0.0.1:8080", list_corpus(dir), {LoadPhase::parse("seconds=10,hot=20"),
//                 LoadPhase::parse("seconds=10,text=0.2,writes=0.1")}, 1};
//   for (const PhaseResult& r : run_load(o, {})) std::puts(to_string(r).c_str());
//
// A closed-loop phase (rate 0) keeps `connections` clients each sending its next request as soon
// as the last one is answered: it measures the throughput the server can sustain. An open-loop
// phase sends `rate` requests per second in total on a fixed schedule, spread over the
// clients; each latency is counted from the request's scheduled time, so a server that falls
// behind shows its queueing delay instead of slowing the clients down (no coordinated omission).
//
// Each phase runs on its own LoadDriver (load_driver.hpp), which runs the same clients until it is
// stopped and can switch their mix while they run.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "perception/window.hpp"

namespace hatch::web {

struct LoadPhase {
  std::string name = "phase";
  // How long the phase sends requests: 1 ms to 1 hour. Default 10 s.
  std::chrono::milliseconds duration{10000};
  // Clients, each with one keep-alive connection: 1 to 1024. Default 8.
  std::size_t connections = 8;
  // Requests per second in total (open loop); 0 for a closed loop. Default 0.
  double rate = 0;
  // Share of requests for text documents (under /text/); the rest are binary. Default 0.7.
  double text_share = 0.7;
  // The hot set: the first `hot_set` documents of each kind (in path order) receive `hot_share`
  // of that kind's requests; 0 spreads requests evenly over all documents. Default 0 and 0.9.
  std::size_t hot_set = 0;
  double hot_share = 0.9;
  // Share of requests that are writes: a PUT of a short text to the chosen document. Default 0.
  double write_share = 0;
  // Share of reads that send "Accept-Encoding: zstd, gzip". Default 0.8.
  double compressed_share = 0.8;

  // Reads "key=value,..." with keys name, seconds, connections, rate, text, hot, hot_share,
  // writes, accept (as the fields above, in that order). Unknown keys and values out of range
  // throw std::invalid_argument naming them.
  static LoadPhase parse(std::string_view spec);
};

// What the clients saw in a span of time: a LoadDriver's window, or a phase of run_load.
struct LoadWindow {
  std::uint64_t requests = 0;  // answered with 2xx
  std::uint64_t errors = 0;    // network errors and answers other than 2xx
  double seconds = 0;
  double requests_per_s = 0;  // 2xx answers per second of the span
  LatencySummary latency;     // of the 2xx answers, in ms
};

struct PhaseResult : LoadWindow {
  std::string name;  // the phase's
};

struct LoadOptions {
  std::string target;              // the server, "host:port"
  std::vector<std::string> paths;  // documents to request (see list_corpus)
  std::vector<LoadPhase> phases;   // run one after the other
  std::uint64_t seed = 1;          // the clients' choices follow from it
};

// Runs the phases in order and returns their results; `on_phase` (may be empty) is called with
// each result as its phase ends. Throws std::invalid_argument when there are no paths.
std::vector<PhaseResult> run_load(const LoadOptions& options,
                                  const std::function<void(const PhaseResult&)>& on_phase);

// "NAME: N requests in S s = R req/s, p50 X ms, p99 Y ms, E errors".
std::string to_string(const PhaseResult& result);

}  // namespace hatch::web

// A scenario: everything the simulator knows about a system and its workload. It holds the
// hidden parameters (service times, hit-rate curves, link speeds) that a learner must never
// see; only the simulator reads them, and it reports what a live system would measure.
//
// Scenarios come from TOML files (scenario_toml.hpp, format in docs/simulator.md) or from a
// seed (random_scenario.hpp). validate() checks what both must satisfy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "design/design_space.hpp"

namespace hatch::sim {

struct HostSpec {
  std::string name;         // "local" for the origin, which is always host 0
  double cores = 1;         // CPU capacity: service time that can run in parallel
  double memory_mb = 1024;  // shared by component footprints, the rest goes to caches
};

// A keyed component whose calls are cheaper on a hit. Its hit rate grows with the memory it
// gets: max_hit * min(1, capacity / working set) ^ skew, averaged over its shards. Sharding
// over k hosts gives each shard 1/k of the working set and its host's free memory.
struct CacheSpec {
  double working_set_mb = 1024;
  double max_hit = 0.9;  // hit rate when everything fits
  double skew = 0.5;     // < 1: popular keys make a small cache worth more than its share
};

struct ComponentModel {
  std::string name;
  StateKind kind = StateKind::stateless;
  bool pinned = false;
  double read_ms = 0.1;   // CPU time of one read call on one core, before queueing
  double write_ms = 0.1;  // likewise for writes
  double memory_mb = 0;   // footprint on each host it runs on (per shard: memory_mb / shards)
  std::optional<CacheSpec> cache;
};

enum class CallOp { read, write };
enum class CallWhen { always, on_hit, on_miss };

// Calls from one component to another. `calls` holds, per request class, how many calls one
// call of the caller makes (an entry request is one call of the entry component).
struct EdgeModel {
  std::size_t caller = 0;
  std::size_t callee = 0;
  CallOp op = CallOp::read;
  bool keyed = true;  // false: a sharded callee gets it on every shard (scatter or broadcast)
  std::vector<double> calls;
  double request_bytes = 100;
  double response_bytes = 100;
  CallWhen when = CallWhen::always;
  std::size_t cache = 0;  // the cache component whose hit or miss `when` refers to
};

struct Workload {
  double rate = 100;        // entry requests per second, open loop
  std::vector<double> mix;  // fraction of each request class, summing to 1
};

struct Shift {
  std::size_t at_window = 0;  // the first window that runs under the new workload
  Workload workload;
};

struct NetworkSpec {
  double rpc_overhead_ms = 0.02;     // per remote call: syscalls, framing, dispatch
  double serialize_mb_per_s = 1000;  // payload encoding plus decoding speed
};

struct Scenario {
  std::string name;
  std::vector<HostSpec> hosts;  // hosts[0] is the origin
  // Symmetric host x host matrices, row-major; the diagonal is unused (loopback is free).
  std::vector<double> rtt_ms;
  std::vector<double> bandwidth_mb_per_s;
  NetworkSpec network;
  std::vector<ComponentModel> components;
  std::size_t entry = 0;             // receives the workload's requests
  std::vector<std::string> classes;  // request class names, indexing Workload::mix
  std::vector<EdgeModel> edges;
  Workload workload;
  std::optional<Shift> shift;
  double latency_cv = 0.8;    // spread of one request's latency around the mean
  double settle_seconds = 1;  // simulated time a transition takes before a window opens
  std::optional<double> reward_cap_ms;

  double rtt(std::size_t a, std::size_t b) const { return rtt_ms[a * hosts.size() + b]; }
  double bandwidth(std::size_t a, std::size_t b) const {
    return bandwidth_mb_per_s[a * hosts.size() + b];
  }
  // The design space of this scenario's components over its nodes.
  DesignSpace space() const;
};

// Limits that keep the model's fixed-size arrays, and the design space, bounded.
inline constexpr std::size_t kMaxSimNodes = 12;
inline constexpr std::size_t kMaxSimComponents = 32;
inline constexpr std::size_t kMaxSimEdges = 128;
inline constexpr std::size_t kMaxSimClasses = 8;

// Throws UsageError, naming the scenario and what is wrong: sizes beyond the limits, indices out
// of range, a call graph with a cycle, a `when` that names a component without a cache, a mix
// that does not sum to 1, matrices of the wrong size.
void validate(const Scenario& scenario);

// Components in an order where every caller comes before its callees (validate() guarantees
// there is one).
std::vector<std::size_t> topological_order(const Scenario& scenario);

}  // namespace hatch::sim

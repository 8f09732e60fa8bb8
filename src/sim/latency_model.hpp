// The simulator's model: a design's expected latency at the entry point, computed fast enough to
// brute-force spaces of 10^7 designs (see docs/simulator.md for the measured cost).
//
//   LatencyModel model(scenario, scenario.workload, space);
//   double ms = model.latency_ms(choice);   // no allocation, thread-safe
//   ModelDetail d = model.detail(choice);   // per component and edge, for a window
//
// A design's latency is the sum, over the calls one entry request makes, of each call's cost:
// the network hop (round trip, payload over bandwidth, RPC overhead and serialisation; free
// inside one host) plus the callee's service time inflated by its host's queueing. Queueing
// follows an M/M/c approximation (Sakasegawa) of each host's utilisation, extended linearly past
// 90% so that an overloaded design is slow but finite. Replication and sharding change where the
// load goes and what a call waits for; cache hit rates, set by the memory a cache gets, change
// how many calls happen downstream. Everything per option is precomputed here, so an evaluation
// only combines numbers.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "design/design_space.hpp"
#include "sim/scenario.hpp"

namespace hatch::sim {

// What the model says about one design beyond the latency: what a window measures, in
// expectation. Per-request figures are per entry request.
struct ModelDetail {
  double latency_ms = 0;
  double throughput_rps = 0;
  std::vector<double> host_utilisation;  // demand / capacity; may exceed 1
  std::vector<double> cache_hit_rate;    // per component, 0 for non-caches
  std::vector<double> component_calls_per_request;
  std::vector<double> component_latency_ms;  // one call, as its callers saw it
  std::vector<double> component_request_bytes;
  std::vector<double> component_response_bytes;
  std::vector<double> edge_calls_per_request;
  std::vector<double> edge_latency_ms;  // one call, hop and everything below it
};

class LatencyModel {
 public:
  // `scenario` must have passed validate() and `space` must be scenario.space(); neither needs
  // to outlive the model.
  LatencyModel(const Scenario& scenario, const Workload& workload, const DesignSpace& space);

  // The expected mean latency of an entry request, in milliseconds. `choice` must be valid for
  // the space (unchecked: this is the brute force's inner loop).
  double latency_ms(const Choice& choice) const;
  ModelDetail detail(const Choice& choice) const;

  double rate() const { return rate_; }
  // Response time over service time at `host` when it is busy `utilisation` of the time: the
  // queueing the model adds to every call served there.
  double queueing_inflation(std::size_t host, double utilisation) const;

 private:
  // How a call of one class reaches a placement's hosts.
  enum class Route : std::uint8_t {
    spread,   // one host, chosen uniformly (load-balanced replica, keyed shard, or the only host)
    primary,  // a replicated stateful write: primary, then every backup in parallel
    all,      // every host in parallel, waiting for the slowest (scatter or broadcast)
  };
  static constexpr std::size_t kClasses =
      4;  // keyed read, keyless read, keyed write, keyless write
  static constexpr std::size_t kHosts = kMaxSimNodes + 1;

  struct Option {
    std::uint8_t count = 0;
    std::array<std::uint8_t, kHosts> hosts{};
    double inverse_count = 1;
    bool sharded = false;
    std::array<double, kClasses> share{};  // fraction of each class's calls each host serves
    // Fraction of one call's service each host it reaches does: 1, but a keyless read of a
    // sharded component reads each shard's own part.
    std::array<double, kClasses> part{};
    std::array<Route, kClasses> route{};
  };
  struct Component {
    std::array<double, kClasses> service_ms{};
    double memory_mb = 0;
    bool cache = false;
    double working_set_mb = 0;
    std::vector<double> hit_curve;  // hit rate at capacity/working set = i / (size - 1)
    std::vector<Option> options;
  };
  struct Edge {
    std::size_t index = 0;  // in the scenario's edge list
    std::size_t caller = 0;
    std::size_t callee = 0;
    std::size_t call_class = 0;
    std::array<double, kMaxSimClasses> calls{};
    CallWhen when = CallWhen::always;
    std::size_t cache = 0;
    double request_bytes = 0;
    double response_bytes = 0;
    std::vector<double> hop_ms;      // host x host: a call and its response
    std::vector<double> forward_ms;  // host x host: a write forwarded to a backup
    // Caller option x callee option: the mean hop of a spread call, when small enough to keep.
    std::vector<double> mean_hop_ms;
    std::size_t callee_options = 0;
  };
  struct Host {
    double cores = 1;
    double memory_mb = 0;
    std::vector<double> inflation;  // response time / service time at utilisation i * step
  };
  struct Scratch;

  template <bool kDetail>
  double evaluate(const Choice& choice, ModelDetail* detail) const;
  double edge_cost(const Edge& edge, const Scratch& s) const;
  double mean_hop_ms(const Edge& edge, const Option& from, const Option& to) const;
  double hit_rate(const Component& c, double capacity_ratio) const;
  double inflation(const Host& host, double utilisation) const;

  std::size_t host_count_ = 0;
  std::size_t class_count_ = 0;
  std::size_t entry_ = 0;
  double rate_ = 0;
  std::array<double, kMaxSimClasses> mix_{};
  std::vector<Host> hosts_;
  std::vector<Component> components_;
  std::vector<std::size_t> caches_;
  std::vector<std::size_t> order_;  // topological
  std::vector<Edge> edges_;         // sorted so that callers come before their callees
};

}  // namespace hatch::sim

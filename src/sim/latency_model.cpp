#include "sim/latency_model.hpp"

#include <algorithm>
#include <cmath>

namespace hatch::sim {
namespace {

constexpr std::size_t kCurvePoints = 1025;
constexpr double kSaturation = 0.9;  // beyond it, latency grows linearly, not to infinity
constexpr std::size_t kInflationPoints = 1024;
constexpr double kInflationStep = kSaturation / kInflationPoints;
constexpr double kSwapPenalty = 1;  // extra slowdown per unit of memory overcommitted
// Edges whose caller x callee options are at most this many get a table of mean hop costs
// (32 KB): most of the spaces we brute-force, at a cache footprint that stays small.
constexpr std::size_t kMeanHopTableLimit = 4096;

// Response time over service time of an M/M/c queue at utilisation rho (Sakasegawa's
// approximation of the waiting time).
double queueing_factor(double cores, double rho) {
  const double exponent = std::sqrt(2 * (cores + 1)) - 1;
  return 1 + std::pow(rho, exponent) / (cores * (1 - rho));
}

std::size_t class_of(const EdgeModel& e) {
  return (e.op == CallOp::write ? 2 : 0) + (e.keyed ? 0 : 1);
}

}  // namespace

// Per-evaluation state, on the stack: fixed-size, so the inner loop never allocates. It is left
// uninitialised; evaluate() writes every entry it reads.
struct LatencyModel::Scratch {
  const OptionIndex* choice;
  std::array<const Option*, kMaxSimComponents> option;
  std::array<double, kHosts> inflation;
  std::array<double, kMaxSimComponents> mean_inflation;
  std::array<double, kMaxSimComponents> hit;
  std::array<std::array<double, kClasses>, kMaxSimComponents> calls;  // per entry request
  std::array<double, kMaxSimEdges> edge_calls;
};

LatencyModel::LatencyModel(const Scenario& scenario, const Workload& workload,
                           const DesignSpace& space)
    : host_count_(scenario.hosts.size()),
      class_count_(scenario.classes.size()),
      entry_(scenario.entry),
      rate_(workload.rate),
      order_(topological_order(scenario)) {
  std::copy(workload.mix.begin(), workload.mix.end(), mix_.begin());
  for (const HostSpec& spec : scenario.hosts) {
    Host& host = hosts_.emplace_back();
    host.cores = spec.cores;
    host.memory_mb = spec.memory_mb;
    for (std::size_t i = 0; i <= kInflationPoints; ++i) {
      host.inflation.push_back(
          queueing_factor(spec.cores, static_cast<double>(i) * kInflationStep));
    }
  }
  for (std::size_t c = 0; c < scenario.components.size(); ++c) {
    const ComponentModel& model = scenario.components[c];
    Component& out = components_.emplace_back();
    out.service_ms = {model.read_ms, model.read_ms, model.write_ms, model.write_ms};
    out.memory_mb = model.memory_mb;
    if (model.cache) {
      out.cache = true;
      out.working_set_mb = model.cache->working_set_mb;
      for (std::size_t i = 0; i < kCurvePoints; ++i) {
        const double ratio = static_cast<double>(i) / (kCurvePoints - 1);
        out.hit_curve.push_back(model.cache->max_hit * std::pow(ratio, model.cache->skew));
      }
      caches_.push_back(c);
    }
    const bool stateful = model.kind == StateKind::stateful;
    for (OptionIndex o = 0; o < space.option_count(c); ++o) {
      const std::vector<std::uint8_t> hosts = space.option_hosts(c, o);
      Option& option = out.options.emplace_back();
      option.count = static_cast<std::uint8_t>(hosts.size());
      std::copy(hosts.begin(), hosts.end(), option.hosts.begin());
      option.inverse_count = 1.0 / static_cast<double>(hosts.size());
      option.sharded = space.option_kind(c, o) == Placement::Kind::sharded;
      const bool replicated = space.option_kind(c, o) == Placement::Kind::replicated;
      for (std::size_t q = 0; q < kClasses; ++q) {
        const bool write = q >= 2;
        const bool keyless = q % 2 == 1;
        option.part[q] = 1;
        if (option.sharded && keyless) {
          // A scatter: every shard serves every call, a read over its own part of the data, a
          // write (a broadcast) whole.
          option.route[q] = Route::all;
          option.part[q] = write ? 1 : option.inverse_count;
          option.share[q] = option.part[q];
        } else if (replicated && stateful && write) {
          option.route[q] = Route::primary;
          option.share[q] = 1;
        } else {
          option.route[q] = Route::spread;
          option.share[q] = option.inverse_count;
        }
      }
    }
  }
  const std::size_t n = host_count_;
  std::vector<std::size_t> rank(scenario.components.size());
  for (std::size_t i = 0; i < order_.size(); ++i) rank[order_[i]] = i;
  std::vector<std::size_t> sorted(scenario.edges.size());
  for (std::size_t e = 0; e < sorted.size(); ++e) sorted[e] = e;
  std::stable_sort(sorted.begin(), sorted.end(), [&](std::size_t a, std::size_t b) {
    return rank[scenario.edges[a].caller] < rank[scenario.edges[b].caller];
  });
  const NetworkSpec& net = scenario.network;
  auto transfer_ms = [&](std::size_t a, std::size_t b, double bytes) {
    return scenario.rtt(a, b) + bytes / (scenario.bandwidth(a, b) * 1e3) + net.rpc_overhead_ms +
           bytes / (net.serialize_mb_per_s * 1e3);
  };
  for (std::size_t index : sorted) {
    const EdgeModel& model = scenario.edges[index];
    Edge& edge = edges_.emplace_back();
    edge.index = index;
    edge.caller = model.caller;
    edge.callee = model.callee;
    edge.call_class = class_of(model);
    std::copy(model.calls.begin(), model.calls.end(), edge.calls.begin());
    edge.when = model.when;
    edge.cache = model.cache;
    edge.request_bytes = model.request_bytes;
    edge.response_bytes = model.response_bytes;
    edge.hop_ms.assign(n * n, 0);
    edge.forward_ms.assign(n * n, 0);
    for (std::size_t a = 0; a < n; ++a) {
      for (std::size_t b = 0; b < n; ++b) {
        if (a == b) continue;
        edge.hop_ms[a * n + b] = transfer_ms(a, b, model.request_bytes + model.response_bytes);
        edge.forward_ms[a * n + b] = transfer_ms(a, b, model.request_bytes);
      }
    }
    const std::vector<Option>& callers = components_[edge.caller].options;
    const std::vector<Option>& callees = components_[edge.callee].options;
    edge.callee_options = callees.size();
    if (callers.size() * callees.size() <= kMeanHopTableLimit) {
      for (const Option& from : callers) {
        for (const Option& to : callees) edge.mean_hop_ms.push_back(mean_hop_ms(edge, from, to));
      }
    }
  }
}

double LatencyModel::mean_hop_ms(const Edge& edge, const Option& from, const Option& to) const {
  double hops = 0;
  for (std::size_t i = 0; i < from.count; ++i) {
    const double* row = &edge.hop_ms[from.hosts[i] * host_count_];
    for (std::size_t j = 0; j < to.count; ++j) hops += row[to.hosts[j]];
  }
  return hops * from.inverse_count * to.inverse_count;
}

// The three helpers below run in the brute force's inner loop: always inlined.
[[gnu::always_inline]] inline double LatencyModel::hit_rate(const Component& c,
                                                            double capacity_ratio) const {
  if (capacity_ratio >= 1) return c.hit_curve.back();
  const double x = std::max(0.0, capacity_ratio) * (kCurvePoints - 1);
  const auto i = static_cast<std::size_t>(x);
  const double t = x - static_cast<double>(i);
  return c.hit_curve[i] + t * (c.hit_curve[i + 1] - c.hit_curve[i]);
}

[[gnu::always_inline]] inline double LatencyModel::inflation(const Host& host,
                                                             double utilisation) const {
  if (utilisation >= kSaturation) {
    const double top = host.inflation[kInflationPoints];
    const double slope = (top - host.inflation[kInflationPoints - 1]) / kInflationStep;
    return top + slope * (utilisation - kSaturation);
  }
  const double x = std::max(0.0, utilisation) / kInflationStep;
  const auto i = static_cast<std::size_t>(x);
  const double t = x - static_cast<double>(i);
  return host.inflation[i] + t * (host.inflation[i + 1] - host.inflation[i]);
}

double LatencyModel::queueing_inflation(std::size_t host, double utilisation) const {
  return inflation(hosts_.at(host), utilisation);
}

[[gnu::always_inline]] inline double LatencyModel::edge_cost(const Edge& edge,
                                                             const Scratch& s) const {
  const Option& from = *s.option[edge.caller];
  const Option& to = *s.option[edge.callee];
  const double service = components_[edge.callee].service_ms[edge.call_class];
  const std::size_t n = host_count_;
  switch (to.route[edge.call_class]) {
    case Route::spread: {
      const double hops = edge.mean_hop_ms.empty()
                              ? mean_hop_ms(edge, from, to)
                              : edge.mean_hop_ms[s.choice[edge.caller] * edge.callee_options +
                                                 s.choice[edge.callee]];
      return hops + service * s.mean_inflation[edge.callee];
    }
    case Route::primary: {
      const std::size_t primary = to.hosts[0];
      double hops = 0;
      for (std::size_t i = 0; i < from.count; ++i) hops += edge.hop_ms[from.hosts[i] * n + primary];
      double slowest_backup = 0;
      for (std::size_t j = 1; j < to.count; ++j) {
        const std::size_t b = to.hosts[j];
        slowest_backup =
            std::max(slowest_backup, edge.forward_ms[primary * n + b] + service * s.inflation[b]);
      }
      return hops * from.inverse_count + service * s.inflation[primary] + slowest_backup;
    }
    case Route::all: {
      const double part = service * to.part[edge.call_class];
      double total = 0;
      for (std::size_t i = 0; i < from.count; ++i) {
        const double* row = &edge.hop_ms[from.hosts[i] * n];
        double slowest = 0;
        for (std::size_t j = 0; j < to.count; ++j) {
          const std::size_t h = to.hosts[j];
          slowest = std::max(slowest, row[h] + part * s.inflation[h]);
        }
        total += slowest;
      }
      return total * from.inverse_count;
    }
  }
  return 0;
}

template <bool kDetail>
double LatencyModel::evaluate(const Choice& choice, ModelDetail* detail) const {
  Scratch s;
  s.choice = choice.data();
  const std::size_t components = components_.size();
  const std::size_t hosts = host_count_;
  for (std::size_t c = 0; c < components; ++c) {
    s.option[c] = &components_[c].options[choice[c]];
    s.hit[c] = 0;
    s.calls[c] = {};
  }

  // Memory: component footprints first, caches share what is left on each host.
  std::array<double, kHosts> footprint;
  std::array<double, kHosts> cache_shards;
  std::array<double, kHosts> demand;
  std::fill_n(footprint.begin(), hosts, 0.0);
  std::fill_n(cache_shards.begin(), hosts, 0.0);
  std::fill_n(demand.begin(), hosts, 0.0);
  for (std::size_t c = 0; c < components; ++c) {
    const Option& o = *s.option[c];
    const Component& m = components_[c];
    if (m.cache) {
      for (std::size_t i = 0; i < o.count; ++i) cache_shards[o.hosts[i]] += 1;
    }
    // A cache's own footprint (its code and bookkeeping) counts like any other.
    if (m.memory_mb > 0) {
      const double per_host = o.sharded ? m.memory_mb * o.inverse_count : m.memory_mb;
      for (std::size_t i = 0; i < o.count; ++i) footprint[o.hosts[i]] += per_host;
    }
  }
  for (std::size_t c : caches_) {
    const Option& o = *s.option[c];
    const Component& m = components_[c];
    const double shard_set_mb = m.working_set_mb * (o.sharded ? o.inverse_count : 1);
    double sum = 0;
    for (std::size_t i = 0; i < o.count; ++i) {
      const std::size_t h = o.hosts[i];
      const double free_mb = std::max(0.0, hosts_[h].memory_mb - footprint[h]) / cache_shards[h];
      sum += hit_rate(m, free_mb / shard_set_mb);
    }
    s.hit[c] = sum * o.inverse_count;
  }

  // Calls per entry request, per request class along the graph and per call class at callees.
  std::array<std::array<double, kMaxSimClasses>, kMaxSimComponents> visits;
  for (std::size_t c = 0; c < components; ++c) visits[c] = {};
  for (std::size_t k = 0; k < class_count_; ++k) visits[entry_][k] = 1;
  s.calls[entry_][0] = 1;
  for (std::size_t e = 0; e < edges_.size(); ++e) {
    const Edge& edge = edges_[e];
    const double scale = edge.when == CallWhen::always   ? 1
                         : edge.when == CallWhen::on_hit ? s.hit[edge.cache]
                                                         : 1 - s.hit[edge.cache];
    double per_request = 0;
    for (std::size_t k = 0; k < class_count_; ++k) {
      const double v = visits[edge.caller][k] * edge.calls[k] * scale;
      visits[edge.callee][k] += v;
      per_request += mix_[k] * v;
    }
    s.edge_calls[e] = per_request;
    s.calls[edge.callee][edge.call_class] += per_request;
  }

  // CPU: each host's utilisation, then its queueing inflation.
  for (std::size_t c = 0; c < components; ++c) {
    const Option& o = *s.option[c];
    const Component& m = components_[c];
    double per_host = 0;
    for (std::size_t q = 0; q < kClasses; ++q)
      per_host += s.calls[c][q] * m.service_ms[q] * o.share[q];
    if (per_host == 0) continue;
    for (std::size_t i = 0; i < o.count; ++i) demand[o.hosts[i]] += per_host;
  }
  double worst_utilisation = 0;
  for (std::size_t h = 0; h < hosts; ++h) {
    const Host& host = hosts_[h];
    const double utilisation = demand[h] * rate_ / (host.cores * 1000);
    worst_utilisation = std::max(worst_utilisation, utilisation);
    double factor = inflation(host, utilisation);
    if (footprint[h] > host.memory_mb) {
      factor *= 1 + kSwapPenalty * (footprint[h] - host.memory_mb) / std::max(1.0, host.memory_mb);
    }
    s.inflation[h] = factor;
    if constexpr (kDetail) detail->host_utilisation.push_back(utilisation);
  }
  for (std::size_t c = 0; c < components; ++c) {
    const Option& o = *s.option[c];
    double sum = 0;
    for (std::size_t i = 0; i < o.count; ++i) sum += s.inflation[o.hosts[i]];
    s.mean_inflation[c] = sum * o.inverse_count;
  }

  const double own_entry_ms = components_[entry_].service_ms[0] * s.mean_inflation[entry_];
  double latency = own_entry_ms;
  std::array<double, kMaxSimEdges> cost;
  for (std::size_t e = 0; e < edges_.size(); ++e) {
    cost[e] = s.edge_calls[e] == 0 ? 0 : edge_cost(edges_[e], s);
    latency += s.edge_calls[e] * cost[e];
  }
  if constexpr (kDetail) {
    detail->latency_ms = latency;
    detail->throughput_rps = rate_ / std::max(1.0, worst_utilisation);
    detail->cache_hit_rate.assign(s.hit.begin(), s.hit.begin() + components);
    for (std::size_t c = 0; c < components; ++c) {
      double calls = 0;
      for (double q : s.calls[c]) calls += q;
      detail->component_calls_per_request.push_back(calls);
    }
    // What one call costs below each component, callees first.
    std::vector<double> below(components, 0);
    detail->edge_latency_ms.assign(edges_.size(), 0);
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
      double sum = 0;
      for (std::size_t e = 0; e < edges_.size(); ++e) {
        if (edges_[e].caller != *it) continue;
        detail->edge_latency_ms[e] = cost[e] + below[edges_[e].callee];
        sum += s.edge_calls[e] * detail->edge_latency_ms[e];
      }
      const double calls = detail->component_calls_per_request[*it];
      below[*it] = calls > 0 ? sum / calls : 0;
    }
    detail->component_latency_ms.assign(components, 0);
    detail->component_request_bytes.assign(components, 0);
    detail->component_response_bytes.assign(components, 0);
    std::vector<double> incoming(components, 0);
    for (std::size_t e = 0; e < edges_.size(); ++e) {
      const std::size_t callee = edges_[e].callee;
      const double w = s.edge_calls[e];
      incoming[callee] += w;
      detail->component_latency_ms[callee] += w * detail->edge_latency_ms[e];
      detail->component_request_bytes[callee] += w * edges_[e].request_bytes;
      detail->component_response_bytes[callee] += w * edges_[e].response_bytes;
    }
    for (std::size_t c = 0; c < components; ++c) {
      if (incoming[c] <= 0) continue;
      detail->component_latency_ms[c] /= incoming[c];
      detail->component_request_bytes[c] /= incoming[c];
      detail->component_response_bytes[c] /= incoming[c];
    }
    detail->component_latency_ms[entry_] = latency;
    // Back to the scenario's edge order.
    std::vector<double> latency_by_index(edges_.size());
    detail->edge_calls_per_request.assign(edges_.size(), 0);
    for (std::size_t e = 0; e < edges_.size(); ++e) {
      latency_by_index[edges_[e].index] = detail->edge_latency_ms[e];
      detail->edge_calls_per_request[edges_[e].index] = s.edge_calls[e];
    }
    detail->edge_latency_ms = std::move(latency_by_index);
  }
  return latency;
}

double LatencyModel::latency_ms(const Choice& choice) const {
  return evaluate<false>(choice, nullptr);
}

ModelDetail LatencyModel::detail(const Choice& choice) const {
  ModelDetail out;
  evaluate<true>(choice, &out);
  return out;
}

}  // namespace hatch::sim

#include "sim/scenario.hpp"

#include <cmath>

#include "hatch/error.hpp"

namespace hatch::sim {
namespace {

[[noreturn]] void fail(const Scenario& scenario, const std::string& what) {
  throw UsageError("scenario '" + scenario.name + "': " + what);
}

void check_workload(const Scenario& scenario, const Workload& workload, const char* where) {
  if (!(workload.rate > 0) || !std::isfinite(workload.rate)) {
    fail(scenario, std::string(where) + " rate must be a positive number of requests per second");
  }
  if (workload.mix.size() != scenario.classes.size()) {
    fail(scenario, std::string(where) + " mix has " + std::to_string(workload.mix.size()) +
                       " fractions for " + std::to_string(scenario.classes.size()) + " classes");
  }
  double sum = 0;
  for (double fraction : workload.mix) {
    if (!(fraction >= 0)) fail(scenario, std::string(where) + " mix has a negative fraction");
    sum += fraction;
  }
  if (std::abs(sum - 1) > 1e-6) {
    fail(scenario, std::string(where) + " mix sums to " + std::to_string(sum) + ", not 1");
  }
}

}  // namespace

DesignSpace Scenario::space() const {
  std::vector<ComponentSpec> specs;
  for (const ComponentModel& c : components) specs.push_back({c.name, c.kind, c.pinned});
  std::vector<std::string> nodes;
  for (std::size_t h = 1; h < hosts.size(); ++h) nodes.push_back(hosts[h].name);
  return DesignSpace(std::move(specs), std::move(nodes));
}

std::vector<std::size_t> topological_order(const Scenario& scenario) {
  const std::size_t n = scenario.components.size();
  std::vector<std::size_t> callers_left(n, 0);
  for (const EdgeModel& e : scenario.edges) ++callers_left[e.callee];
  std::vector<std::size_t> order;
  for (std::size_t c = 0; c < n; ++c) {
    if (callers_left[c] == 0) order.push_back(c);
  }
  for (std::size_t i = 0; i < order.size(); ++i) {
    for (const EdgeModel& e : scenario.edges) {
      if (e.caller == order[i] && --callers_left[e.callee] == 0) order.push_back(e.callee);
    }
  }
  return order;  // shorter than n when there is a cycle
}

void validate(const Scenario& scenario) {
  const std::size_t hosts = scenario.hosts.size();
  if (hosts < 1 || hosts > kMaxSimNodes + 1) {
    fail(scenario, "needs between 0 and " + std::to_string(kMaxSimNodes) + " nodes, has " +
                       std::to_string(hosts == 0 ? 0 : hosts - 1));
  }
  if (scenario.hosts[0].name != "local") fail(scenario, "host 0 must be the origin, 'local'");
  for (const HostSpec& h : scenario.hosts) {
    if (!(h.cores > 0)) fail(scenario, "host '" + h.name + "' needs a positive number of cores");
    if (!(h.memory_mb >= 0)) fail(scenario, "host '" + h.name + "' has negative memory");
  }
  if (scenario.rtt_ms.size() != hosts * hosts ||
      scenario.bandwidth_mb_per_s.size() != hosts * hosts) {
    fail(scenario, "link matrices must be hosts x hosts");
  }
  for (std::size_t a = 0; a < hosts; ++a) {
    for (std::size_t b = 0; b < hosts; ++b) {
      if (a != b && (!(scenario.rtt(a, b) >= 0) || !(scenario.bandwidth(a, b) > 0))) {
        fail(scenario, "the link " + scenario.hosts[a].name + " - " + scenario.hosts[b].name +
                           " needs rtt >= 0 and bandwidth > 0");
      }
    }
  }
  const std::size_t n = scenario.components.size();
  if (n < 1 || n > kMaxSimComponents) {
    fail(scenario, "needs between 1 and " + std::to_string(kMaxSimComponents) + " components");
  }
  if (scenario.entry >= n) fail(scenario, "the entry component is out of range");
  for (const ComponentModel& c : scenario.components) {
    if (!(c.read_ms >= 0) || !(c.write_ms >= 0) || !(c.memory_mb >= 0)) {
      fail(scenario, "component '" + c.name + "' has a negative service time or memory");
    }
    if (c.cache && c.kind != StateKind::keyed) {
      fail(scenario, "component '" + c.name + "' has a cache but is not keyed");
    }
    if (c.cache && (!(c.cache->working_set_mb > 0) || !(c.cache->max_hit >= 0) ||
                    c.cache->max_hit > 1 || !(c.cache->skew > 0))) {
      fail(scenario,
           "component '" + c.name + "' needs working_set_mb > 0, max_hit in [0, 1] and skew > 0");
    }
  }
  if (scenario.classes.empty() || scenario.classes.size() > kMaxSimClasses) {
    fail(scenario, "needs between 1 and " + std::to_string(kMaxSimClasses) + " request classes");
  }
  if (scenario.edges.size() > kMaxSimEdges) {
    fail(scenario, "has more than " + std::to_string(kMaxSimEdges) + " edges");
  }
  for (const EdgeModel& e : scenario.edges) {
    if (e.caller >= n || e.callee >= n) fail(scenario, "an edge names a component out of range");
    const std::string name =
        scenario.components[e.caller].name + " -> " + scenario.components[e.callee].name;
    if (e.calls.size() != scenario.classes.size()) {
      fail(scenario, "edge " + name + " needs one call count per request class");
    }
    for (double calls : e.calls) {
      if (!(calls >= 0)) fail(scenario, "edge " + name + " has a negative call count");
    }
    if (!(e.request_bytes >= 0) || !(e.response_bytes >= 0)) {
      fail(scenario, "edge " + name + " has negative payload bytes");
    }
    if (e.when != CallWhen::always && (e.cache >= n || !scenario.components[e.cache].cache)) {
      fail(scenario, "edge " + name + " depends on the hits of a component that is not a cache");
    }
    if (e.callee == scenario.entry) fail(scenario, "edge " + name + " calls the entry component");
  }
  if (topological_order(scenario).size() != n) fail(scenario, "the call graph has a cycle");
  check_workload(scenario, scenario.workload, "the workload's");
  if (scenario.shift) check_workload(scenario, scenario.shift->workload, "the shift's");
  if (!(scenario.latency_cv >= 0) || scenario.latency_cv > 10) {
    fail(scenario, "latency_cv must be between 0 and 10");
  }
  if (!(scenario.settle_seconds >= 0)) fail(scenario, "settle_seconds must be >= 0");
  if (scenario.reward_cap_ms && !(*scenario.reward_cap_ms > 0)) {
    fail(scenario, "reward cap_ms must be positive");
  }
}

}  // namespace hatch::sim

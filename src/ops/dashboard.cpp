#include "ops/dashboard.hpp"

#include <cstdlib>
#include <set>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "hatch/error.hpp"
#include "ops/dashboard_assets.hpp"

namespace hatch::ops {
namespace {

using nlohmann::json;

constexpr const char* kJson = "application/json";

HttpReply json_reply(const json& body) {
  return HttpReply{200, kJson, body.dump()};
}

// The host of a home as the dashboard names it: "origin" for the origin's own process.
std::string host_name(const std::string& host) {
  return host == "local" || host == "origin" ? "origin" : host;
}

struct Home {
  std::string host;
  std::string role;
};

std::vector<Home> homes_of(const Placement& p) {
  std::vector<Home> out;
  switch (p.kind) {
    case Placement::Kind::local:
      out.push_back({"origin", "home"});
      break;
    case Placement::Kind::on:
      out.push_back({host_name(p.hosts.at(0)), "home"});
      break;
    case Placement::Kind::replicated:
      for (std::size_t i = 0; i < p.hosts.size(); ++i) {
        out.push_back({host_name(p.hosts[i]), i == 0 ? "primary" : "replica"});
      }
      break;
    case Placement::Kind::sharded: {
      // A replicated shard's homes read "shard 0 primary", "shard 0 replica".
      const std::vector<std::vector<std::string>> shards = p.shards();
      for (std::size_t s = 0; s < shards.size(); ++s) {
        for (std::size_t i = 0; i < shards[s].size(); ++i) {
          std::string role = "shard " + std::to_string(s);
          if (shards[s].size() > 1) role += i == 0 ? " primary" : " replica";
          out.push_back({host_name(shards[s][i]), std::move(role)});
        }
      }
      break;
    }
  }
  return out;
}

// The `after` query value: a count, 0 when absent. Throws for anything but digits.
std::uint64_t after_of(const HttpRequest& req) {
  const std::optional<std::string> after = req.query_value("after");
  if (!after || after->empty()) return 0;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(after->c_str(), &end, 10);
  if (*end != '\0' || after->front() == '-') {
    throw UsageError("'after' must be a whole number, not '" + *after + "'");
  }
  return n;
}

json overview(const DashboardSource& source) {
  const std::optional<AutopilotStatus> learner = source.learner();
  const Design placements = source.placements();
  return {
      {"learning", learner && learner->learning},
      {"phase", learner ? learner->phase : std::string("not learning")},
      {"design", source.describe(placements)},
      {"components", placements.size()},
      {"nodes", source.nodes().size()},
      {"windows", learner ? learner->windows : 0},
      {"uptime_s", source.uptime_seconds()},
  };
}

json placements_view(const DashboardSource& source) {
  json components = json::array();
  for (const auto& [name, placement] : source.placements()) {
    json homes = json::array();
    for (const Home& h : homes_of(placement)) homes.push_back({{"host", h.host}, {"role", h.role}});
    components.push_back(
        {{"name", name}, {"placement", placement.to_string()}, {"homes", std::move(homes)}});
  }
  return {{"components", std::move(components)}};
}

json nodes_view(const DashboardSource& source) {
  std::map<std::string, std::set<std::string>> hosted;
  for (const auto& [name, placement] : source.placements()) {
    for (const Home& h : homes_of(placement)) hosted[h.host].insert(name);
  }
  json nodes = json::array();
  for (const DashboardNode& node : source.nodes()) {
    nodes.push_back({{"address", node.address},
                     {"connected", node.connected},
                     {"health", node.health},
                     {"components", hosted[node.address]}});
  }
  return {{"origin",
           {{"address", "origin"},
            {"connected", true},
            {"health", "this process"},
            {"components", hosted["origin"]}}},
          {"nodes", std::move(nodes)}};
}

json graph_view(const DashboardSource& source) {
  std::set<std::string> components;
  for (const auto& [name, placement] : source.placements()) components.insert(name);
  json edges = json::array();
  const std::optional<AutopilotWindow> last = source.last_window();
  if (last) {
    for (const CallEdge& e : last->calls) {
      if (e.calls == 0) continue;
      edges.push_back({{"caller", e.caller},
                       {"callee", e.callee},
                       {"calls", e.calls},
                       {"calls_per_s", last->seconds > 0 ? e.calls / last->seconds : 0.0},
                       {"mean_ms", e.total_ms / static_cast<double>(e.calls)}});
    }
  }
  return {{"window", last ? last->index : 0},
          {"seconds", last ? last->seconds : 0.0},
          {"components", components},
          {"edges", std::move(edges)}};
}

json status_json(const DashboardSource& source, const AutopilotStatus& s) {
  return {{"learning", s.learning},
          {"paused", s.paused},
          {"frozen", s.frozen},
          {"converged", s.converged},
          {"phase", s.phase},
          {"error", s.error},
          {"design_space_size", s.design_space_size},
          {"running", source.describe(s.running)},
          {"incumbent", source.describe(s.incumbent)},
          {"best", source.describe(s.best)},
          {"incumbent_reward", s.incumbent_reward},
          {"windows", s.windows},
          {"exploring_windows", s.exploring_windows},
          {"cut_short_windows", s.cut_short_windows},
          {"failed_moves", s.failed_moves},
          {"shifts", s.shifts},
          {"seconds", s.seconds},
          {"exploring_seconds", s.exploring_seconds},
          {"moving_seconds", s.moving_seconds}};
}

json learner_view(const DashboardSource& source, std::uint64_t after) {
  const std::optional<AutopilotStatus> status = source.learner();
  json windows = json::array();
  if (status) {
    for (const AutopilotWindow& w : source.windows(after)) {
      windows.push_back({{"index", w.index},
                         {"started_s", w.started_s},
                         {"seconds", w.seconds},
                         {"learning", w.learning},
                         {"probe", w.probe},
                         {"cut_short", w.cut_short},
                         {"phase", w.phase},
                         {"design", source.describe(w.design)},
                         {"reward", w.reward},
                         {"requests_per_s", w.requests_per_s},
                         {"mean_ms", w.mean_ms},
                         {"p50_ms", w.p50_ms},
                         {"p95_ms", w.p95_ms},
                         {"p99_ms", w.p99_ms},
                         {"errors", w.errors},
                         {"transition_ms", w.transition_ms},
                         {"settle_ms", w.settle_ms},
                         {"twin_ms", w.twin_ms ? json(*w.twin_ms) : json(nullptr)}});
    }
  }
  return {{"status", status ? status_json(source, *status) : json(nullptr)},
          {"windows", std::move(windows)}};
}

json decisions_view(const DashboardSource& source, std::uint64_t after) {
  json decisions = json::array();
  for (const AutopilotDecision& d : source.decisions(after)) {
    decisions.push_back({{"index", d.index},
                         {"window", d.window},
                         {"at_s", d.at_s},
                         {"kind", d.kind},
                         {"component", d.component},
                         {"from", d.from},
                         {"to", d.to},
                         {"why", d.why},
                         {"reward_before", d.reward_before},
                         {"reward_after", d.reward_after},
                         {"pause_ms", d.pause_ms},
                         {"text", d.to_string()}});
  }
  return {{"decisions", std::move(decisions)}};
}

}  // namespace

HttpRoutes dashboard_routes(std::shared_ptr<const DashboardSource> source) {
  HttpRoutes routes;
  for (const DashboardAsset& asset : dashboard_assets()) {
    const std::string path = asset.path == "/index.html" ? "/" : std::string(asset.path);
    routes[path] = [asset](const HttpRequest&) {
      return HttpReply{200, std::string(asset.content_type), std::string(asset.bytes)};
    };
  }
  const auto view = [&routes, &source](const char* path, json (*make)(const DashboardSource&)) {
    routes[path] = [source, make](const HttpRequest&) { return json_reply(make(*source)); };
  };
  view("/api/overview", overview);
  view("/api/placements", placements_view);
  view("/api/nodes", nodes_view);
  view("/api/graph", graph_view);
  routes["/api/learner"] = [source](const HttpRequest& req) {
    return json_reply(learner_view(*source, after_of(req)));
  };
  routes["/api/decisions"] = [source](const HttpRequest& req) {
    return json_reply(decisions_view(*source, after_of(req)));
  };
  return routes;
}

}  // namespace hatch::ops

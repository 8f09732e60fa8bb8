// The dashboard: what an operator sees of a running Hatch program in a browser, served by the
// origin's HTTP server (ops/http_server.hpp), and the JSON API behind each of its views, which
// `hatch status` and scripts read too. docs/guide.md ("Reading the dashboard") documents both.
//
//   GET /                      the page (HTML, CSS and JS compiled into the binary; it fetches
//   GET /dashboard.css            nothing from anywhere else and polls the API once a second)
//   GET /dashboard.js
//   GET /api/overview          phase, the running design in words, counts
//   GET /api/placements        every component, its placement and its homes with their roles
//   GET /api/nodes             the origin and every node, whether connected, what each hosts
//   GET /api/graph             the latest window's calls: caller, callee, rate, mean latency
//   GET /api/learner?after=N   the learner's status and the windows after the N-th
//   GET /api/decisions?after=N the decision log after its N-th entry
//
// The views read a DashboardSource, which the layer that owns the origin and the autopilot
// implements (hatch::App): this layer sits below the autopilot and sees it only through the
// public structs of hatch/autopilot.hpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hatch/autopilot.hpp"
#include "hatch/placement.hpp"
#include "ops/http_server.hpp"

namespace hatch::ops {

struct DashboardNode {
  std::string address;
  bool connected = false;  // the origin has a connection to it open now
  // "connected"; "disconnected": dialled before, no connection now; "not contacted": named by
  // the configuration, not needed by the origin yet.
  std::string health;
};

// What the dashboard shows. Every method may be called from the HTTP server's thread at any
// time, and must return at once.
class DashboardSource {
 public:
  virtual ~DashboardSource() = default;
  // Every component created so far, with its placement now.
  virtual Design placements() const = 0;
  // The nodes the origin knows of: those it talked to and those it may place on.
  virtual std::vector<DashboardNode> nodes() const = 0;
  // The learner's state; nullopt while no autopilot runs.
  virtual std::optional<AutopilotStatus> learner() const = 0;
  virtual std::vector<AutopilotWindow> windows(std::uint64_t after) const = 0;
  virtual std::optional<AutopilotWindow> last_window() const = 0;
  virtual std::vector<AutopilotDecision> decisions(std::size_t after) const = 0;
  // "cache=sharded{a,b} store=on(c)", as hatch::describe_design says it.
  virtual std::string describe(const Design& design) const = 0;
  virtual double uptime_seconds() const = 0;
};

// The page and the API above, reading `source`.
HttpRoutes dashboard_routes(std::shared_ptr<const DashboardSource> source);

}  // namespace hatch::ops

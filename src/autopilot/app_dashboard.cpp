#include "autopilot/app_dashboard.hpp"

#include <algorithm>
#include <utility>

namespace hatch {

AppDashboard::AppDashboard(const Origin& origin) : origin_(origin) {}

void AppDashboard::attach(const Autopilot* pilot) {
  std::lock_guard lock(mu_);
  pilot_ = pilot;
}

Design AppDashboard::placements() const {
  return origin_.placements();
}

std::vector<ops::DashboardNode> AppDashboard::nodes() const {
  std::vector<ops::DashboardNode> out;
  for (const Origin::NodeLink& link : origin_.nodes()) {
    const char* health = link.left        ? "left (drained)"
                         : link.dead      ? "dead (no heartbeat)"
                         : link.connected ? "connected"
                                          : "disconnected";
    out.push_back({link.address, link.connected, health});
  }
  for (const std::string& node : origin_.members()) {
    const bool known = std::any_of(out.begin(), out.end(),
                                   [&](const ops::DashboardNode& n) { return n.address == node; });
    if (!known) out.push_back({node, false, "not contacted"});
  }
  std::sort(out.begin(), out.end(), [](const ops::DashboardNode& a, const ops::DashboardNode& b) {
    return a.address < b.address;
  });
  return out;
}

std::optional<AutopilotStatus> AppDashboard::learner() const {
  std::lock_guard lock(mu_);
  if (!pilot_) return std::nullopt;
  return pilot_->status();
}

std::vector<AutopilotWindow> AppDashboard::windows(std::uint64_t after) const {
  std::lock_guard lock(mu_);
  return pilot_ ? pilot_->windows(after) : std::vector<AutopilotWindow>{};
}

std::optional<AutopilotWindow> AppDashboard::last_window() const {
  std::lock_guard lock(mu_);
  return pilot_ ? pilot_->last_window() : std::nullopt;
}

std::vector<AutopilotDecision> AppDashboard::decisions(std::size_t after) const {
  std::lock_guard lock(mu_);
  return pilot_ ? pilot_->decisions(after) : std::vector<AutopilotDecision>{};
}

std::string AppDashboard::describe(const Design& design) const {
  return describe_design(design);
}

double AppDashboard::uptime_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

}  // namespace hatch

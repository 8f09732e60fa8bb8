// What hatch::App shows on its dashboard (ops/dashboard.hpp): the origin's placements and
// nodes, and the autopilot's state while one runs. The autopilot comes and goes with App::run,
// so it is attached and detached; detaching waits for a view being drawn from it.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "hatch/autopilot.hpp"
#include "hatch/origin.hpp"
#include "ops/dashboard.hpp"

namespace hatch {

class AppDashboard final : public ops::DashboardSource {
 public:
  // `origin` must outlive the dashboard. Its members are shown before it has dialled them.
  explicit AppDashboard(const Origin& origin);

  // Shows `pilot` from now on (null: none); it must stay alive until detached.
  void attach(const Autopilot* pilot);

  Design placements() const override;
  std::vector<ops::DashboardNode> nodes() const override;
  std::optional<AutopilotStatus> learner() const override;
  std::vector<AutopilotWindow> windows(std::uint64_t after) const override;
  std::optional<AutopilotWindow> last_window() const override;
  std::vector<AutopilotDecision> decisions(std::size_t after) const override;
  std::string describe(const Design& design) const override;
  double uptime_seconds() const override;

 private:
  const Origin& origin_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  mutable std::mutex mu_;
  const Autopilot* pilot_ = nullptr;  // guarded by mu_
};

}  // namespace hatch

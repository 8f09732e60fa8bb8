#include <cmath>
#include <cstdio>

#include "hatch/autopilot.hpp"
#include "hatch/error.hpp"

namespace hatch {
namespace {

void require(bool ok, const std::string& setting, const std::string& what) {
  if (!ok) throw UsageError("learn." + setting + " " + what);
}

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

}  // namespace

void AutopilotOptions::check() const {
  auto finite = [](double v) { return std::isfinite(v); };
  require(finite(window_min_seconds) && window_min_seconds >= 0.05, "window_min_seconds",
          "must be at least 0.05 s, not " + number(window_min_seconds));
  require(finite(window_max_seconds) && window_max_seconds >= window_min_seconds &&
              window_max_seconds <= 3600,
          "window_max_seconds",
          "must lie between window_min_seconds and 3600, not " + number(window_max_seconds));
  require(finite(window_initial_seconds) && window_initial_seconds >= window_min_seconds &&
              window_initial_seconds <= window_max_seconds,
          "window_initial_seconds",
          "must lie between window_min_seconds and window_max_seconds, not " +
              number(window_initial_seconds));
  require(
      reward == "mean" || reward == "p50" || reward == "p95" || reward == "p99" || reward == "mix",
      "reward", "must be one of mean, p50, p95, p99, mix, not '" + reward + "'");
  require(finite(reward_cap_ms) && reward_cap_ms > 0 && reward_cap_ms <= 3.6e6, "reward_cap_ms",
          "must be a positive number of milliseconds, not " + number(reward_cap_ms));
  require(finite(cost_per_host) && cost_per_host >= 0 && cost_per_host <= 1, "cost_per_host",
          "must lie between 0 and 1, not " + number(cost_per_host));
  require(finite(accept_sigmas) && accept_sigmas > 0 && accept_sigmas <= 10, "accept_sigmas",
          "must lie in (0, 10], not " + number(accept_sigmas));
  require(finite(noise_floor) && noise_floor >= 0 && noise_floor <= 1, "noise_floor",
          "must lie between 0 and 1, not " + number(noise_floor));
  require(finite(exploration_budget) && exploration_budget >= 0 && exploration_budget <= 1,
          "exploration_budget", "must lie between 0 and 1, not " + number(exploration_budget));
  require(concurrent_agents >= 1 && concurrent_agents <= 64, "concurrent_agents",
          "must lie between 1 and 64, not " + std::to_string(concurrent_agents));
  require(finite(screen_loss) && screen_loss >= 0 && screen_loss <= 100, "screen_loss",
          "must be 0 (off) or a relative latency up to 100, not " + number(screen_loss));
  require(twin || !suggest, "suggest", "needs the twin (twin = true) whose designs it runs");
  require(finite(move_horizon_seconds) && move_horizon_seconds >= 0, "move_horizon_seconds",
          "must be 0 (off) or a positive number of seconds, not " + number(move_horizon_seconds));
  require(finite(guard_multiple) && (guard_multiple == 0 || guard_multiple > 1), "guard_multiple",
          "must be 0 (off) or above 1, not " + number(guard_multiple));
  require(settle_slice.count() >= 10 && settle_slice.count() <= 60000, "settle_slice_ms",
          "must lie between 10 and 60000 ms");
  require(finite(settle_tolerance) && settle_tolerance > 0 && settle_tolerance <= 1,
          "settle_tolerance", "must lie in (0, 1], not " + number(settle_tolerance));
  require(max_settle >= settle_slice && max_settle.count() <= 600000, "max_settle_ms",
          "must lie between settle_slice_ms and 600000 ms");
  for (const auto& [component, placement] : pins) {
    require(!component.empty(), "pins", "names a component with an empty name");
  }
}

std::string describe_design(const Design& design) {
  std::string out;
  for (const auto& [component, placement] : design) {
    if (placement.kind == Placement::Kind::local) continue;
    out += (out.empty() ? "" : " ") + component + "=" + placement.to_string();
  }
  return out.empty() ? "all local" : out;
}

std::string AutopilotDecision::to_string() const {
  std::string out = "w" + std::to_string(window) + " " + kind;
  if (!component.empty()) out += " " + component;
  if (!from.empty() || !to.empty()) out += " " + from + " -> " + to;
  if (!why.empty()) out += ": " + why;
  char figures[128];
  if (reward_after >= 0) {
    std::snprintf(figures, sizeof figures, " (reward %.3f -> %.3f", reward_before, reward_after);
  } else {
    std::snprintf(figures, sizeof figures, " (reward before %.3f", reward_before);
  }
  out += figures;
  if (pause_ms > 0) {
    std::snprintf(figures, sizeof figures, ", pause %.2f ms", pause_ms);
    out += figures;
  }
  return out + ")";
}

}  // namespace hatch

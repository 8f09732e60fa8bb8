#include "autopilot/live_log.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace hatch {
namespace {

// After this many windows the state file is written again even if the best did not change:
// the memory of measured designs grows with every window.
constexpr std::uint64_t kSaveEvery = 20;

}  // namespace

LiveLog::LiveLog(const DesignSpace& space, std::vector<std::string> nodes) : space_(&space) {
  for (std::size_t c = 0; c < space.component_count(); ++c) {
    status_.components.push_back(space.component(c).name);
  }
  status_.nodes = std::move(nodes);
  status_.design_space_size = space.size();
}

void LiveLog::follow(const DesignSpace& space, std::vector<std::string> nodes) {
  space_ = &space;
  status_.nodes = std::move(nodes);
  status_.design_space_size = space_->size();
}

double LiveLog::now_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - begun_).count();
}

void LiveLog::publish_start(const Learner& learner, const Choice& running, bool restored) {
  restoring_ = restored;
  incumbent_ = learner.incumbent();
  best_ = learner.best();
  saved_best_ = best_;
  status_.running = space_->design(running);
  status_.incumbent = space_->design(incumbent_);
  status_.best = space_->design(best_);
  status_.phase = learner.phase();
}

void LiveLog::add(AutopilotDecision d) {
  d.at_s = now_s();
  if (d.window == 0) d.window = last_window_index_;
  d.index = ++decisions_total_;
  spdlog::info("autopilot: {}", d.to_string());
  decisions_.push_back(std::move(d));
  if (decisions_.size() > kMaxKept) decisions_.pop_front();
}

void LiveLog::event(const std::string& kind, const std::string& component, const std::string& why) {
  AutopilotDecision d;
  d.kind = kind;
  d.component = component;
  d.why = why;
  d.reward_before = last_reward_;
  d.reward_after = -1;
  add(std::move(d));
}

void LiveLog::set_pin(const std::string& component, const std::optional<Placement>& placement) {
  if (placement) {
    status_.pins[component] = *placement;
  } else {
    status_.pins.erase(component);
  }
}

AutopilotWindow LiveLog::window(const LiveWindow& w, const Learner& learner,
                                const std::string& kind) {
  AutopilotWindow out;
  out.index = w.index;
  out.started_s = w.started_s;
  out.seconds = w.window.seconds;
  out.learning = w.learning;
  out.probe = w.probe;
  out.cut_short = w.cut_short;
  out.phase = w.learning ? w.purpose : "measuring";
  out.design = space_->design(w.design);
  out.best = space_->design(learner.best());
  out.reward = w.reward;
  out.requests_per_s = w.window.throughput_rps;
  out.mean_ms = w.window.entry.mean_ms;
  out.p50_ms = w.window.entry.p50_ms;
  out.p95_ms = w.window.entry.p95_ms;
  out.p99_ms = w.window.entry.p99_ms;
  out.errors = w.errors;
  out.transition_ms = w.transition_ms;
  out.settle_ms = w.settle_ms;
  out.twin_ms = w.twin_ms;
  out.calls = w.calls;
  last_window_index_ = w.index;

  for (const LiveMove& move : w.moves) {
    AutopilotDecision d;
    d.window = w.index;
    d.component = move.component;
    d.from = move.from.to_string();
    d.to = move.to.to_string();
    d.pause_ms = move.pause_ms;
    d.reward_before = last_reward_;
    d.reward_after = w.reward;
    d.why = w.purpose;
    const std::size_t c =
        std::find(status_.components.begin(), status_.components.end(), move.component) -
        status_.components.begin();
    if (!move.ok) {
      d.kind = "move failed";
      d.why = move.error + "; it stays at " + d.from;
    } else if (!kind.empty()) {
      d.kind = kind;
      d.why = "the previous window was cut short by the guard rail; back to the incumbent";
    } else if (!w.learning) {
      d.kind = "measure";
    } else if (restoring_) {
      d.kind = "restore";
      d.why = "back to the design the state file holds";
    } else if (c < incumbent_.size() && space_->option(c, incumbent_[c]) == move.to) {
      d.kind = "return";
    } else if (w.probe) {
      d.kind = "probe";
    } else {
      d.kind = "adopt";
    }
    if (w.cut_short) d.why += "; cut short by the guard rail: " + w.cut_reason;
    status_.failed_moves += move.ok ? 0 : 1;
    add(std::move(d));
  }

  if (w.learning) {
    restoring_ = false;
    ++status_.windows;
    status_.seconds = now_s();
    status_.moving_seconds += (w.transition_ms + w.settle_ms) / 1000;
    if (w.probe) {
      ++status_.exploring_windows;
      status_.exploring_seconds += w.window.seconds;
    }
    status_.cut_short_windows += w.cut_short ? 1 : 0;
    const Choice incumbent = learner.incumbent();
    const double incumbent_reward = status_.incumbent_reward;
    if (w.observed && !w.cut_short && w.design == incumbent) status_.incumbent_reward = w.reward;
    for (std::size_t c = 0; c < incumbent.size() && incumbent != incumbent_; ++c) {
      if (incumbent[c] == incumbent_[c]) continue;
      // What the window ran became the incumbent: it was measured better. Otherwise the learner
      // moved on its own (a kick to a new start, or back to its best design after a shift).
      const bool measured = w.design[c] == incumbent[c];
      AutopilotDecision d;
      d.kind = "adopt";
      d.component = space_->component(c).name;
      d.from = space_->option(c, incumbent_[c]).to_string();
      d.to = space_->option(c, incumbent[c]).to_string();
      d.why = measured ? "better than the incumbent beyond the noise"
                       : "the learner starts its search again from here";
      d.reward_before = measured ? incumbent_reward : last_reward_;
      d.reward_after = measured ? w.reward : -1;
      add(std::move(d));
    }
    incumbent_ = incumbent;
    if (learner.shifts() > status_.shifts) {
      status_.shifts = learner.shifts();
      event("shift", "",
            "the incumbent's measurements moved beyond their noise: exploring again from the "
            "best design");
    }
    if (learner.converged() && !status_.converged) {
      event("converged", "", "a sweep changed nothing: exploiting, probing within the budget");
    }
    status_.converged = learner.converged();
    status_.skipped_for_cost = learner.turns_skipped_for_cost();
    status_.phase = learner.phase();
    last_reward_ = w.reward;
  }
  best_ = learner.best();
  status_.running = out.design;
  status_.incumbent = space_->design(incumbent_);
  status_.best = out.best;
  spdlog::info("autopilot: window {}{}{}{} {:.2f} s reward {:.3f} {:.0f} req/s mean {:.3f} ms: {}",
               out.index, out.learning ? "" : " measure", out.probe ? " probe" : "",
               out.cut_short ? " cut-short" : "", out.seconds, out.reward, out.requests_per_s,
               out.mean_ms, describe_design(out.design));
  windows_.push_back(out);
  if (windows_.size() > kMaxKept) windows_.pop_front();
  return out;
}

bool LiveLog::wants_save() const {
  return best_ != saved_best_ || status_.converged != saved_converged_ ||
         status_.windows >= saved_at_ + kSaveEvery;
}

void LiveLog::saved() {
  saved_best_ = best_;
  saved_converged_ = status_.converged;
  saved_at_ = status_.windows;
}

AutopilotStatus LiveLog::status() const {
  AutopilotStatus s = status_;
  s.seconds = now_s();
  return s;
}

std::vector<AutopilotWindow> LiveLog::windows(std::uint64_t after) const {
  std::vector<AutopilotWindow> out;
  for (const AutopilotWindow& w : windows_) {
    if (w.index > after) out.push_back(w);
  }
  return out;
}

std::vector<AutopilotDecision> LiveLog::decisions(std::size_t after) const {
  std::vector<AutopilotDecision> out;
  const std::size_t first = decisions_total_ - decisions_.size();  // sequence of the oldest - 1
  for (std::size_t i = 0; i < decisions_.size(); ++i) {
    if (first + i + 1 > after) out.push_back(decisions_[i]);
  }
  return out;
}

}  // namespace hatch

// The autopilot's record of what it did: the latest windows, the decision log, and the status
// an operator reads, kept in the public types of hatch/autopilot.hpp. The worker adds each
// window as it ends; the decisions follow from what moved and from what changed in the
// learner (its incumbent, a shift, convergence). Bounded: the latest kMaxKept of each.
//
// Not thread-safe: the autopilot guards it with its mutex.
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "autopilot/learning_loop.hpp"
#include "hatch/autopilot.hpp"

namespace hatch {

class LiveLog {
 public:
  LiveLog(const DesignSpace& space, std::vector<std::string> nodes);

  // Where learning starts: what runs, and what the learner holds, `restored` from a state file
  // or not (then the moves to it are named "restore").
  void publish_start(const Learner& learner, const Choice& running, bool restored);
  // Adds a window and the decisions it implies; `kind` names its moves when the caller knows
  // better than the window ("rollback"). Returns the window as published.
  AutopilotWindow window(const LiveWindow& w, const Learner& learner, const std::string& kind);
  void event(const std::string& kind, const std::string& component, const std::string& why);
  void set_pin(const std::string& component, const std::optional<Placement>& placement);
  // The autopilot's design space is `space` from now on, over `nodes`; publish_start follows.
  void follow(const DesignSpace& space, std::vector<std::string> nodes);

  // Whether the learner's state changed enough since the last save to write it again.
  bool wants_save() const;
  void saved();

  AutopilotStatus status() const;
  std::vector<AutopilotWindow> windows(std::uint64_t after) const;
  std::vector<AutopilotDecision> decisions(std::size_t after) const;
  std::uint64_t last_window() const { return last_window_index_; }
  std::optional<AutopilotWindow> latest() const {
    return windows_.empty() ? std::nullopt : std::optional<AutopilotWindow>(windows_.back());
  }

  static constexpr std::size_t kMaxKept = 4096;

 private:
  void add(AutopilotDecision d);
  double now_s() const;

  const DesignSpace* space_;
  const std::chrono::steady_clock::time_point begun_ = std::chrono::steady_clock::now();
  AutopilotStatus status_;
  Choice incumbent_;
  Choice best_;
  bool restoring_ = false;  // the moves before the first learning window restore a design
  double last_reward_ = 0;
  std::deque<AutopilotWindow> windows_;
  std::deque<AutopilotDecision> decisions_;
  std::size_t decisions_total_ = 0;
  std::uint64_t last_window_index_ = 0;
  std::uint64_t saved_at_ = 0;  // windows when last saved
  Choice saved_best_;
  bool saved_converged_ = false;
};

}  // namespace hatch

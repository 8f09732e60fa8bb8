// DeadlineScope: give the remote calls a thread makes a tighter deadline than the default.
//
//   {
//     hatch::DeadlineScope scope(std::chrono::milliseconds(50));
//     cache->get("k");   // fails with hatch::DeadlineExceeded if no answer within 50 ms
//   }
//
// Every remote call has a deadline: Options::call_timeout from the moment it starts, or the
// innermost enclosing scope's, whichever comes first. A component serving a remote call runs
// inside a scope holding its caller's remaining budget, so the calls it makes in turn inherit
// the deadline instead of starting a fresh one.
#pragma once

#include <chrono>
#include <optional>

namespace hatch {

class DeadlineScope {
 public:
  using Clock = std::chrono::steady_clock;

  explicit DeadlineScope(Clock::time_point deadline);
  explicit DeadlineScope(Clock::duration budget) : DeadlineScope(Clock::now() + budget) {}
  ~DeadlineScope();
  DeadlineScope(const DeadlineScope&) = delete;
  DeadlineScope& operator=(const DeadlineScope&) = delete;

  // The deadline of this thread's innermost scope, if any. A nested scope never extends an
  // enclosing one.
  static std::optional<Clock::time_point> current();

 private:
  std::optional<Clock::time_point> previous_;
};

}  // namespace hatch

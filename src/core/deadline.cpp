#include "hatch/deadline.hpp"

#include <algorithm>

namespace hatch {

namespace {
// Per thread, not global: each thread's calls follow only its own scopes.
thread_local std::optional<DeadlineScope::Clock::time_point> t_deadline;
}  // namespace

DeadlineScope::DeadlineScope(Clock::time_point deadline) : previous_(t_deadline) {
  t_deadline = previous_ ? std::min(*previous_, deadline) : deadline;
}

DeadlineScope::~DeadlineScope() {
  t_deadline = previous_;
}

std::optional<DeadlineScope::Clock::time_point> DeadlineScope::current() {
  return t_deadline;
}

}  // namespace hatch

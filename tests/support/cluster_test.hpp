// A test that starts node processes: one cluster secret, and origin options that use it.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hatch/autopilot.hpp"
#include "hatch/options.hpp"
#include "hatch/origin.hpp"
#include "node_process.hpp"

namespace hatch::test {

class ClusterTest : public ::testing::Test {
 public:
  // A long call timeout: a loaded CI machine must not turn a slow move into a failure.
  Options options() {
    Options o;
    o.secret = secret_.bytes();
    o.call_timeout = std::chrono::seconds(30);
    return o;
  }

  // Autopilot settings for tests: short windows and settles, so that many run in seconds.
  static AutopilotOptions quick_learning() {
    AutopilotOptions o;
    o.window_initial_seconds = 0.2;
    o.window_min_seconds = 0.1;
    o.window_max_seconds = 0.3;
    o.settle_slice = std::chrono::milliseconds(20);
    o.max_settle = std::chrono::milliseconds(200);
    return o;
  }

  // Waits, change after change of `origin`'s members, until `node` is one. False only when a
  // minute passes without a change, which only a hang takes.
  static bool wait_for_member(const Origin& origin, const std::string& node) {
    for (;;) {
      const std::uint64_t seen = origin.members_version();
      const std::vector<std::string> members = origin.members();
      if (std::find(members.begin(), members.end(), node) != members.end()) return true;
      if (!origin.wait_for_members(seen, std::chrono::minutes(1))) return false;
    }
  }

  // Where the tests' nodes read the cluster secret.
  SecretFile secret_;
};

}  // namespace hatch::test

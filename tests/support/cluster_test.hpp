// A test that starts node processes: one cluster secret, and origin options that use it.
#pragma once

#include <chrono>

#include <gtest/gtest.h>

#include "hatch/options.hpp"
#include "node_process.hpp"

namespace hatch::test {

class ClusterTest : public ::testing::Test {
 protected:
  // A long call timeout: a loaded CI machine must not turn a slow move into a failure.
  Options options() {
    Options o;
    o.secret = secret_.bytes();
    o.call_timeout = std::chrono::seconds(30);
    return o;
  }
  SecretFile secret_;
};

}  // namespace hatch::test

// The integration test binary is also the node binary its tests start (--hatch-node), and an
// origin that reports its members (--members-probe, members_probe.hpp).
#include <gtest/gtest.h>

#include "members_probe.hpp"
#include "node_process.hpp"

int main(int argc, char** argv) {
  if (int status = hatch::test::run_node_if_asked(argc, argv); status >= 0) return status;
  if (int status = hatch::test::run_members_probe_if_asked(argc, argv); status >= 0) {
    return status;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

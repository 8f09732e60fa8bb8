// Where a leaving node's components go (runtime::without_home): the origin for a single home,
// the other replicas, or the origin in a shard's place.
#include <gtest/gtest.h>

#include "runtime/placement_binding.hpp"

namespace hatch::runtime {
namespace {

std::string without(const std::string& placement, const std::string& home) {
  return without_home(Placement::parse(placement), home).to_string();
}

TEST(WithoutHome, ASingleHomeGoesToTheOrigin) {
  EXPECT_EQ(without("on(a:1)", "a:1"), "local");
}

TEST(WithoutHome, AReplicatedSetLosesTheReplica) {
  EXPECT_EQ(without("replicated{a:1,b:1,c:1}", "b:1"), "replicated{a:1,c:1}");
  EXPECT_EQ(without("replicated{a:1,b:1}", "a:1"), "on(b:1)");
  EXPECT_EQ(without("replicated{a:1,local}", "a:1"), "local");
}

TEST(WithoutHome, AShardGoesToTheOriginUnlessItHoldsOneAlready) {
  EXPECT_EQ(without("sharded{a:1,b:1}", "a:1"), "sharded{local,b:1}");
  EXPECT_EQ(without("sharded{a:1,local,c:1}", "c:1"), "sharded{a:1,local}");
  EXPECT_EQ(without("sharded{a:1,local}", "a:1"), "local");
}

}  // namespace
}  // namespace hatch::runtime

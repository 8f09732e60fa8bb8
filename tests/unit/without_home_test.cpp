// Where a leaving node's components go (runtime::without_home): the origin for a single home,
// the other replicas, or the origin in a shard's place.
#include <gtest/gtest.h>

#include "runtime/node_refs.hpp"
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

TEST(WithoutHome, AReplicatedShardLosesTheReplicaAndKeepsItsPlace) {
  EXPECT_EQ(without("sharded{replicated{a:1,b:1},replicated{c:1,d:1}}", "a:1"),
            "sharded{b:1,replicated{c:1,d:1}}");
  EXPECT_EQ(without("sharded{replicated{a:1,b:1},c:1}", "b:1"), "sharded{a:1,c:1}");
  EXPECT_EQ(without("sharded{replicated{a:1,b:1},c:1}", "c:1"),
            "sharded{replicated{a:1,b:1},local}");
  EXPECT_EQ(without("sharded{replicated{a:1,local},c:1}", "c:1"), "replicated{a:1,local}");
}

TEST(ReplicaSets, AreTheShardsOfAShardedPlacementAndOneSetOtherwise) {
  using Sets = std::vector<std::vector<std::string>>;
  EXPECT_EQ(replica_sets(Placement::parse("sharded{replicated{a:1,local},c:1}")),
            (Sets{{"a:1", "origin"}, {"c:1"}}));
  EXPECT_EQ(replica_sets(Placement::parse("sharded{a:1,b:1}")), (Sets{{"a:1"}, {"b:1"}}));
  EXPECT_EQ(replica_sets(Placement::parse("replicated{a:1,b:1}")), (Sets{{"a:1", "b:1"}}));
  EXPECT_EQ(replica_sets(Placement::local()), (Sets{{"origin"}}));
  EXPECT_TRUE(has_fellow_replica(Placement::parse("sharded{replicated{a:1,b:1},c:1}"), "b:1"));
  EXPECT_FALSE(has_fellow_replica(Placement::parse("sharded{replicated{a:1,b:1},c:1}"), "c:1"));
  EXPECT_FALSE(has_fellow_replica(Placement::parse("on(a:1)"), "a:1"));
}

TEST(ReadPlacement, TakesReplicatedShardsFromAControlMessageAndRefusesSizesThatDoNotAddUp) {
  const auto sharded = static_cast<std::uint8_t>(Placement::Kind::sharded);
  const std::vector<std::string> homes = {"a:1", "b:1", "origin"};
  EXPECT_EQ(read_placement(sharded, homes, {2, 1}).to_string(),
            "sharded{replicated{a:1,b:1},local}");
  EXPECT_EQ(read_placement(sharded, homes, {}).to_string(), "sharded{a:1,b:1,local}");
  for (const std::vector<std::uint32_t>& bad :
       std::vector<std::vector<std::uint32_t>>{{2, 2}, {1, 1}, {3}, {0, 3}, {2, 0, 1}}) {
    EXPECT_THROW(read_placement(sharded, homes, bad), UsageError) << bad.size();
  }
  EXPECT_THROW(
      read_placement(static_cast<std::uint8_t>(Placement::Kind::replicated), homes, {2, 1}),
      UsageError);
}

}  // namespace
}  // namespace hatch::runtime

// Addresses (core/host_address.hpp) and placements written as text (hatch/placement.hpp): how a
// host's address is read, the one spelling it is given, and lists of placements.
#include "core/host_address.hpp"

#include <gtest/gtest.h>

#include "hatch/error.hpp"
#include "hatch/placement.hpp"

namespace hatch {
namespace {

using Items = std::vector<std::string>;

TEST(Address, SplitsHostAndPortAndRefusesMalformedOnes) {
  EXPECT_EQ(split_address("127.0.0.1:80"),
            (std::pair<std::string, std::uint16_t>{"127.0.0.1", 80}));
  EXPECT_EQ(split_address("[::1]:9").first, "::1");
  EXPECT_THROW(split_address("nohost"), UsageError);
  EXPECT_THROW(split_address("h:99999"), UsageError);
  EXPECT_THROW(split_address("h:12x"), UsageError);
}

TEST(Address, EachAddressHasOneSpelling) {
  EXPECT_EQ(canonical_address("localhost:7001"), "127.0.0.1:7001");
  EXPECT_EQ(canonical_address("LocalHost:07001"), "127.0.0.1:7001");
  EXPECT_EQ(canonical_address("127.0.0.1:7001"), "127.0.0.1:7001");
  EXPECT_EQ(canonical_address("[0:0:0:0:0:0:0:1]:7001"), "[::1]:7001");
  EXPECT_EQ(canonical_address("[FE80::A]:1"), "[fe80::a]:1");
  EXPECT_EQ(canonical_address("Node-0.Hatch.Default.svc:7000"), "node-0.hatch.default.svc:7000");
  // Two addresses, not two spellings: a socket bound to one is not reached at the other.
  EXPECT_NE(canonical_address("[::1]:7001"), canonical_address("127.0.0.1:7001"));
  EXPECT_THROW(canonical_address("127.0.0.1"), UsageError);
  EXPECT_THROW(canonical_address("localhost:65536"), UsageError);
}

TEST(Placement, TwoSpellingsOfOneAddressAreOneHost) {
  EXPECT_EQ(Placement::parse("localhost:7001"), Placement::parse("127.0.0.1:7001"));
  EXPECT_EQ(Placement::parse("on(LOCALHOST:7001)").to_string(), "on(127.0.0.1:7001)");
  EXPECT_EQ(Placement::on("localhost:7001"), Placement::on("127.0.0.1:7001"));
  EXPECT_EQ(Placement::parse("sharded{localhost:7001, origin}").to_string(),
            "sharded{127.0.0.1:7001,local}");
  try {
    Placement::parse("replicated{localhost:7001,127.0.0.1:7001}");
    ADD_FAILURE() << "a set naming one host twice was taken";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "replicated names host '127.0.0.1:7001' twice");
  }
  // The simulator's hosts are bare names, and stay as they are.
  EXPECT_EQ(Placement::sharded({"a", "B"}).hosts, (Items{"a", "B"}));
}

TEST(Placement, ReplicatedShardsReadAndPrintEachShardsReplicaSet) {
  const Placement p =
      Placement::parse("sharded{replicated{localhost:1,b:2}, c:3, replicated{local,d:4}}");
  EXPECT_EQ(p.kind, Placement::Kind::sharded);
  EXPECT_EQ(p.hosts, (Items{"127.0.0.1:1", "b:2", "c:3", "local", "d:4"}));
  EXPECT_EQ(p.shard_replicas, (std::vector<std::uint32_t>{2, 1, 2}));
  EXPECT_EQ(p.shards(), (std::vector<Items>{{"127.0.0.1:1", "b:2"}, {"c:3"}, {"local", "d:4"}}));
  EXPECT_EQ(p.to_string(), "sharded{replicated{127.0.0.1:1,b:2},c:3,replicated{local,d:4}}");
  EXPECT_EQ(Placement::parse(p.to_string()), p);
  EXPECT_EQ(Placement::replicated_shards({{"a:1", "b:2"}, {"c:3", "d:4"}}).to_string(),
            "sharded{replicated{a:1,b:2},replicated{c:3,d:4}}");
  // Shards of one host each are plain shards.
  EXPECT_EQ(Placement::replicated_shards({{"a:1"}, {"b:2"}}), Placement::sharded({"a:1", "b:2"}));
  EXPECT_EQ(Placement::sharded({"a:1", "b:2"}).shards(), (std::vector<Items>{{"a:1"}, {"b:2"}}));

  const auto refused = [](const char* text, const char* why) {
    try {
      Placement::parse(text);
      ADD_FAILURE() << text << " was taken";
    } catch (const UsageError& e) {
      EXPECT_STREQ(e.what(), why) << text;
    }
  };
  refused("sharded{replicated{a:1,b:2},replicated{b:2,c:3}}", "sharded names host 'b:2' twice");
  refused("sharded{replicated{a:1,b:2}}", "replicated shards need at least two shards, got 1");
  refused("sharded{replicated{a:1,b:2},on(c:3)}",
          "placement 'sharded{replicated{a:1,b:2},on(c:3)}' has shard 'on(c:3)': a shard is a "
          "host or replicated{h1,h2,...}");
  refused("sharded{replicated{a:1},c:3}", "replicated needs at least two hosts, got 1");
  refused("sharded{replicated{a:1,b:2},}",
          "the list of placements 'replicated{a:1,b:2},' has an empty item");
}

TEST(PlacementList, SplitsAtCommasOutsideBraces) {
  EXPECT_EQ(split_placements("127.0.0.1:7001"), (Items{"127.0.0.1:7001"}));
  EXPECT_EQ(split_placements("a:1, sharded{a:1,local} ,on(b:2),replicated{a:1,b:2}"),
            (Items{"a:1", "sharded{a:1,local}", "on(b:2)", "replicated{a:1,b:2}"}));
  for (const char* bad : {"sharded{a:1,local", "a:1}", "a:1,,b:2", "a:1,", ""}) {
    EXPECT_THROW(split_placements(bad), UsageError) << bad;
  }
}

}  // namespace
}  // namespace hatch

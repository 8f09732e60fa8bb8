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

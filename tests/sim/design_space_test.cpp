#include "design/design_space.hpp"

#include <set>

#include <cmath>

#include <gtest/gtest.h>

#include "hatch/error.hpp"

namespace hatch {
namespace {

DesignSpace small_space() {
  return DesignSpace({{"frontend", StateKind::stateless, true},
                      {"worker", StateKind::stateless},
                      {"session", StateKind::stateful},
                      {"cache", StateKind::keyed}},
                     {"a", "b"});
}

TEST(DesignSpace, CountsOptionsByKindAndPin) {
  const DesignSpace space = small_space();
  // Two hosts: local, on(a), on(b), and the 4 sets of two or more from {local, a, b}.
  EXPECT_EQ(space.option_count(0), 1u);
  EXPECT_EQ(space.option_count(1), 7u);
  EXPECT_EQ(space.option_count(2), 7u);
  EXPECT_EQ(space.option_count(3), 7u);
  EXPECT_EQ(space.size(), "343");
  EXPECT_NEAR(space.log10_size(), std::log10(343.0), 1e-12);
}

TEST(DesignSpace, ListsOptionsInTheDocumentedOrder) {
  const DesignSpace space = small_space();
  std::vector<std::string> cache;
  for (OptionIndex o = 0; o < space.option_count(3); ++o) {
    cache.push_back(space.option(3, o).to_string());
  }
  EXPECT_EQ(cache,
            (std::vector<std::string>{"local", "on(a)", "on(b)", "sharded{local,a}",
                                      "sharded{local,b}", "sharded{a,b}", "sharded{local,a,b}"}));
  EXPECT_EQ(space.option(1, 6).to_string(), "replicated{local,a,b}");
  EXPECT_EQ(space.option_kind(2, 5), Placement::Kind::replicated);
  EXPECT_EQ(space.option_hosts(3, 5), (std::vector<std::uint8_t>{1, 2}));
  EXPECT_EQ(space.option_hosts(3, 0), (std::vector<std::uint8_t>{0}));
}

TEST(DesignSpace, PrintsSizesBeyondSixtyFourBitsExactly) {
  std::vector<ComponentSpec> components;
  for (int i = 0; i < 14; ++i) components.push_back({"c" + std::to_string(i)});
  const DesignSpace space(components, {"a", "b", "c", "d"});
  EXPECT_EQ(space.size(), "756943935220796320321");  // 31^14
  std::vector<ComponentSpec> wide;
  for (int i = 0; i < 12; ++i) wide.push_back({"c" + std::to_string(i), StateKind::keyed});
  EXPECT_EQ(DesignSpace(wide, {"a", "b", "c", "d", "e"}).size(), "3909188328478827879681");
  EXPECT_EQ(DesignSpace({}, {"a"}).size(), "1");
}

TEST(DesignSpace, IteratesEveryDesignOnce) {
  const DesignSpace space = small_space();
  std::set<Choice> seen;
  Choice c(space.component_count(), 0);
  do {
    EXPECT_TRUE(seen.insert(c).second);
  } while (space.next(c));
  EXPECT_EQ(seen.size(), 343u);
  EXPECT_EQ(c, Choice(space.component_count(), 0));  // wrapped around
}

TEST(DesignSpace, SamplesEveryOption) {
  const DesignSpace space = small_space();
  std::mt19937_64 rng(7);
  std::vector<std::set<OptionIndex>> seen(space.component_count());
  for (int i = 0; i < 1000; ++i) {
    const Choice c = space.sample(rng);
    for (std::size_t k = 0; k < c.size(); ++k) seen[k].insert(c[k]);
  }
  for (std::size_t k = 0; k < seen.size(); ++k) EXPECT_EQ(seen[k].size(), space.option_count(k));
}

TEST(DesignSpace, DescribesADesignInWords) {
  const DesignSpace space = small_space();
  EXPECT_EQ(space.describe({0, 1, 0, 5}),
            "frontend=local worker=on(a) session=local cache=sharded{a,b}");
  const Design design = space.design({0, 6, 3, 0});
  EXPECT_EQ(design.at("worker").to_string(), "replicated{local,a,b}");
  EXPECT_EQ(design.at("session").to_string(), "replicated{local,a}");
}

TEST(DesignSpace, RefusesBadInputWithAReason) {
  const DesignSpace space = small_space();
  EXPECT_THROW(space.design({0, 0}), UsageError);
  try {
    space.describe({0, 0, 0, 7});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("'cache'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(DesignSpace({{"x"}}, {"a", "a"}), UsageError);
  EXPECT_THROW(DesignSpace({{"x"}, {"x"}}, {"a"}), UsageError);
  EXPECT_THROW(DesignSpace({{"x"}}, {"local"}), UsageError);
  EXPECT_THROW(DesignSpace({{""}}, {"a"}), UsageError);
}

TEST(DesignSpace, FindsAPlacementInAnyHostOrder) {
  const DesignSpace space = small_space();
  EXPECT_EQ(space.find(3, Placement::parse("sharded{b,a}")), OptionIndex{5});
  EXPECT_EQ(space.find(3, Placement::parse("sharded{a,origin}")), OptionIndex{3});
  EXPECT_EQ(space.find(1, Placement::parse("on(local)")), OptionIndex{0});
  EXPECT_EQ(space.find(1, Placement::parse("on(b)")), OptionIndex{2});
  EXPECT_EQ(space.find(3, Placement::parse("replicated{a,b}")), std::nullopt) << "keyed: sharded";
  EXPECT_EQ(space.find(3, Placement::parse("sharded{a,ghost}")), std::nullopt);
  EXPECT_EQ(space.find(0, Placement::parse("on(a)")), std::nullopt) << "frontend is pinned";
  EXPECT_EQ(space.set(1, 0b001), std::nullopt) << "a set has two places or more";
  EXPECT_EQ(space.set(1, 0b1011), std::nullopt) << "place 3 does not exist";
  EXPECT_EQ(space.single(0, 1), std::nullopt);
  EXPECT_EQ(space.single(0, 0), OptionIndex{0});
}

// On 40 hosts a component has 2^41 - 1 options: none is listed, every one is reached by index.
TEST(DesignSpace, RanksOptionsOfSpacesTooLargeToList) {
  std::vector<std::string> hosts;
  for (int i = 0; i < 40; ++i) hosts.push_back("h" + std::to_string(i));
  const DesignSpace space({{"cache", StateKind::keyed}, {"frontend", StateKind::stateless, true}},
                          hosts);
  EXPECT_EQ(space.option_count(0), (OptionIndex{1} << 41) - 1);
  EXPECT_EQ(space.option_count(1), 1u);
  EXPECT_EQ(space.size(), std::to_string((std::uint64_t{1} << 41) - 1));
  EXPECT_EQ(space.option(0, 40).to_string(), "on(h39)");
  EXPECT_EQ(space.option(0, 41).to_string(), "sharded{local,h0}");
  EXPECT_EQ(space.option(0, space.option_count(0) - 1).hosts.size(), 41u);
  std::mt19937_64 rng(11);
  for (int i = 0; i < 2000; ++i) {
    const OptionIndex o = space.sample(rng)[0];
    const Placement p = space.option(0, o);
    ASSERT_EQ(space.find(0, p), o) << p.to_string();
    ASSERT_EQ(space.option_hosts(0, o).size(),
              p.kind == Placement::Kind::local ? 1 : p.hosts.size());
  }
  // Consecutive indices are consecutive sets: the same size in lexicographic order, or the
  // first set of the next size.
  const OptionIndex first_triple = 41 + 41 * 40 / 2;
  EXPECT_EQ(space.option(0, first_triple - 1).to_string(), "sharded{h38,h39}");
  EXPECT_EQ(space.option(0, first_triple).to_string(), "sharded{local,h0,h1}");
  EXPECT_THROW(space.option(0, space.option_count(0)), UsageError);
}

TEST(DesignSpace, TakesAtMostSixtyThreeHosts) {
  std::vector<std::string> hosts;
  for (std::size_t i = 0; i < DesignSpace::kMaxHosts; ++i) hosts.push_back("h" + std::to_string(i));
  const DesignSpace widest({{"worker"}}, hosts);
  EXPECT_EQ(widest.option_count(0), ~OptionIndex{0});
  EXPECT_EQ(widest.size(), "18446744073709551615");
  EXPECT_EQ(widest.option(0, ~OptionIndex{0} - 1).hosts.size(), 64u);
  hosts.push_back("one-too-many");
  try {
    DesignSpace({{"worker"}}, hosts);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("at most 63"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hatch

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
  EXPECT_EQ(space.options(0).size(), 1u);
  EXPECT_EQ(space.options(1).size(), 7u);
  EXPECT_EQ(space.options(2).size(), 7u);
  EXPECT_EQ(space.options(3).size(), 7u);
  EXPECT_EQ(space.size(), "343");
  EXPECT_NEAR(space.log10_size(), std::log10(343.0), 1e-12);
}

TEST(DesignSpace, ListsOptionsInTheDocumentedOrder) {
  const DesignSpace space = small_space();
  std::vector<std::string> cache;
  for (const Placement& p : space.options(3)) cache.push_back(p.to_string());
  EXPECT_EQ(cache,
            (std::vector<std::string>{"local", "on(a)", "on(b)", "sharded{local,a}",
                                      "sharded{local,b}", "sharded{a,b}", "sharded{local,a,b}"}));
  EXPECT_EQ(space.options(1)[6].to_string(), "replicated{local,a,b}");
  EXPECT_EQ(space.options(2)[5].kind, Placement::Kind::replicated);
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
  std::vector<std::set<std::uint32_t>> seen(space.component_count());
  for (int i = 0; i < 1000; ++i) {
    const Choice c = space.sample(rng);
    for (std::size_t k = 0; k < c.size(); ++k) seen[k].insert(c[k]);
  }
  for (std::size_t k = 0; k < seen.size(); ++k) EXPECT_EQ(seen[k].size(), space.options(k).size());
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

}  // namespace
}  // namespace hatch

#include "learn/learner.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "synthetic_environment.hpp"

namespace hatch {
namespace {

using testing::SyntheticEnvironment;
using testing::SyntheticOptions;

DesignSpace five_components(std::size_t hosts, bool pin_first = false) {
  std::vector<std::string> names;
  for (std::size_t h = 0; h < hosts; ++h) names.push_back("h" + std::to_string(h));
  return DesignSpace({{"front", ComponentKind::stateless, pin_first},
                      {"logic", ComponentKind::stateless},
                      {"session", ComponentKind::stateful},
                      {"cache", ComponentKind::keyed},
                      {"store", ComponentKind::keyed}},
                     names);
}

// Runs `windows` windows; returns the first window (1-based) after which the learner's best
// design stays within `tolerance` of the optimum to the end, or 0 if it never settles there.
std::size_t run(Learner& learner, SyntheticEnvironment& env, std::size_t windows,
                double tolerance = 0.05) {
  const double optimum = env.optimum_ms();
  std::size_t settled = 0;
  for (std::size_t t = 1; t <= windows; ++t) {
    const Choice design = learner.propose();
    const auto [window, reward] = env.run(design, learner.window_seconds());
    learner.observe(design, window, reward);
    const bool within = env.latency_ms(learner.best()) <= optimum * (1 + tolerance);
    if (!within) settled = 0;
    if (within && settled == 0) settled = t;
  }
  return settled;
}

TEST(Learner, FindsTheOptimumOfASeparableProblem) {
  const DesignSpace space = five_components(2);
  for (std::uint64_t seed : {1, 2, 3}) {
    SyntheticEnvironment env(space, {.seed = seed});
    Learner learner(space, {.seed = seed});
    const std::size_t settled = run(learner, env, 150, 0.0);
    EXPECT_GT(settled, 0u) << "seed " << seed;
    EXPECT_LE(settled, 90u) << "seed " << seed;
  }
}

TEST(Learner, GetsWithinFivePercentDespiteInteractionsAndNoise) {
  const DesignSpace space = five_components(2);
  int within = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    SyntheticEnvironment env(space, {.seed = seed, .interaction_ms = 3, .noise_cv = 0.05});
    Learner learner(space, {.seed = seed});
    const std::size_t settled = run(learner, env, 200);
    within += settled > 0 && settled <= 150;
  }
  EXPECT_GE(within, 9);
}

TEST(Learner, RecoversAfterTheEnvironmentShifts) {
  const DesignSpace space = five_components(2);
  int recovered = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    SyntheticEnvironment env(space, {.seed = seed, .noise_cv = 0.02});
    Learner learner(space, {.seed = seed});
    run(learner, env, 150);
    env.reshuffle(seed + 100);
    const std::size_t settled = run(learner, env, 100);
    recovered += settled > 0 && settled <= 60;
  }
  EXPECT_GE(recovered, 4);
}

// The program ran other designs while the workload shifted (a comparison, an override): the
// learner measures its incumbent before it compares anything with it, and so sees the shift.
TEST(Learner, AfterAnInterruptionTheIncumbentRunsFirstAndAShiftIsFound) {
  const DesignSpace space = five_components(2);
  int recovered = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    SyntheticEnvironment env(space, {.seed = seed, .noise_cv = 0.02});
    Learner learner(space, {.seed = seed});
    run(learner, env, 150);
    // Mid-turn or quiet, the next proposal after an interruption is the design it stands on.
    env.reshuffle(seed + 100);
    learner.interrupted();
    const Choice next = learner.propose();
    EXPECT_TRUE(learner.phase() == "measuring the incumbent" || learner.phase() == "exploiting")
        << "seed " << seed << ": " << learner.phase();
    const auto [window, reward] = env.run(next, learner.window_seconds());
    learner.observe(next, window, reward);
    const std::size_t settled = run(learner, env, 100);
    recovered += settled > 0 && settled <= 60;
  }
  EXPECT_GE(recovered, 4);
}

TEST(Learner, ProposesOnlyValidDesignsAndKeepsPinnedComponentsLocal) {
  const DesignSpace space = five_components(3, true);
  SyntheticEnvironment env(space, {.seed = 4, .interaction_ms = 2, .noise_cv = 0.1});
  Learner learner(space, {.seed = 4});
  for (int t = 0; t < 300; ++t) {
    const Choice design = learner.propose();
    ASSERT_EQ(design.size(), space.component_count());
    for (std::size_t c = 0; c < design.size(); ++c) ASSERT_LT(design[c], space.options(c).size());
    ASSERT_EQ(design[0], 0u) << "the pinned component left the origin";
    const auto [window, reward] = env.run(design, learner.window_seconds());
    learner.observe(design, window, reward);
  }
  EXPECT_EQ(learner.best()[0], 0u);
}

TEST(Learner, TheSameWindowsGiveTheSameProposals) {
  const DesignSpace space = five_components(2);
  SyntheticEnvironment env_a(space, {.seed = 6, .noise_cv = 0.05});
  SyntheticEnvironment env_b(space, {.seed = 6, .noise_cv = 0.05});
  Learner a(space, {.seed = 6});
  Learner b(space, {.seed = 6});
  for (int t = 0; t < 120; ++t) {
    const Choice design = a.propose();
    ASSERT_EQ(design, b.propose()) << "window " << t;
    const auto [wa, ra] = env_a.run(design, a.window_seconds());
    const auto [wb, rb] = env_b.run(design, b.window_seconds());
    a.observe(design, wa, ra);
    b.observe(design, wb, rb);
  }
}

TEST(Learner, LengthensTheWindowWhenTheRewardIsNoisy) {
  const DesignSpace space = five_components(2);
  SyntheticEnvironment env(space, {.seed = 2, .noise_cv = 0.3});
  Learner learner(space, {.seed = 2});
  const double initial = learner.window_seconds();
  run(learner, env, 20);
  EXPECT_GT(learner.window_seconds(), initial);
}

TEST(Learner, ExportsTheActionRewardMatrix) {
  const DesignSpace space = five_components(2);
  SyntheticEnvironment env(space, {.seed = 3});
  Learner learner(space, {});
  run(learner, env, 30);
  const std::string csv = learner.matrix_csv();
  std::size_t rows = 0, options = 0;
  for (char ch : csv) rows += ch == '\n';
  for (std::size_t c = 0; c < space.component_count(); ++c) options += space.options(c).size();
  EXPECT_EQ(rows, options + 1);
  EXPECT_EQ(csv.rfind("component,option,placement,pulls,mean_reward,last_reward\n", 0), 0u);

  const auto json = nlohmann::json::parse(learner.matrix_json());
  ASSERT_EQ(json["components"].size(), space.component_count());
  std::uint64_t pulls = 0;
  for (const auto& option : json["components"][0]["options"]) pulls += option["pulls"].get<int>();
  EXPECT_EQ(pulls, 30u) << "every window credits one option of each component";
}

}  // namespace
}  // namespace hatch

#include "learn/learner.hpp"

#include <limits>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "hatch/error.hpp"
#include "learn/agent.hpp"
#include "synthetic_environment.hpp"

namespace hatch {
namespace {

using testing::SyntheticEnvironment;
using testing::SyntheticOptions;

DesignSpace five_components(std::size_t hosts, bool pin_first = false) {
  std::vector<std::string> names;
  for (std::size_t h = 0; h < hosts; ++h) names.push_back("h" + std::to_string(h));
  return DesignSpace({{"front", StateKind::stateless, pin_first},
                      {"logic", StateKind::stateless},
                      {"session", StateKind::stateful},
                      {"cache", StateKind::keyed},
                      {"store", StateKind::keyed}},
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

// One window: the learner's proposal runs and is observed. Returns the proposal.
Choice step(Learner& learner, SyntheticEnvironment& env) {
  const Choice design = learner.propose();
  const auto [window, reward] = env.run(design, learner.window_seconds());
  learner.observe(design, window, reward);
  return design;
}

// Runs windows until the learner has converged, `limit` at most; returns how many ran.
std::size_t windows_to_converge(Learner& learner, SyntheticEnvironment& env,
                                std::size_t limit = 1000) {
  std::size_t t = 0;
  for (; t < limit && !learner.converged(); ++t) step(learner, env);
  return t;
}

// Runs windows until the learner has converged; false if it does not within `limit`.
bool run_until_converged(Learner& learner, SyntheticEnvironment& env, std::size_t limit = 1000) {
  windows_to_converge(learner, env, limit);
  return learner.converged();
}

// Of the next `windows` windows, how many run a design other than the learner's incumbent.
int explored(Learner& learner, SyntheticEnvironment& env, int windows) {
  int count = 0;
  for (int t = 0; t < windows; ++t) {
    const Choice incumbent = learner.incumbent();
    count += step(learner, env) != incumbent;
  }
  return count;
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
    for (std::size_t c = 0; c < design.size(); ++c) ASSERT_LT(design[c], space.option_count(c));
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
  // One row per option that ran: those with pulls in the JSON.
  std::size_t rows = 0;
  for (char ch : csv) rows += ch == '\n';
  EXPECT_EQ(csv.rfind("component,option,placement,pulls,mean_reward,last_reward\n", 0), 0u);

  const auto json = nlohmann::json::parse(learner.matrix_json());
  ASSERT_EQ(json["components"].size(), space.component_count());
  std::uint64_t pulls = 0;
  for (const auto& option : json["components"][0]["options"]) pulls += option["pulls"].get<int>();
  EXPECT_EQ(pulls, 30u) << "every window credits one option of each component";
  std::size_t ran = 0;
  for (const auto& component : json["components"]) {
    for (const auto& option : component["options"]) {
      EXPECT_GT(option["pulls"].get<int>(), 0) << option.dump();
      ++ran;
    }
  }
  EXPECT_GT(ran, space.component_count()) << "the learner tried more than one option";
  EXPECT_EQ(rows, ran + 1);
}

TEST(Learner, OnceConvergedExploresWithinItsBudget) {
  const DesignSpace space = five_components(2);
  int unlimited = 0;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    for (const double budget : {0.05, 1.0}) {
      SyntheticEnvironment env(space, {.seed = seed, .noise_cv = 0.02});
      Learner learner(space, {.seed = seed, .exploration_budget = budget});
      ASSERT_TRUE(run_until_converged(learner, env)) << "seed " << seed;
      const int count = explored(learner, env, 400);
      if (budget < 1) {
        EXPECT_LE(count, 20) << "seed " << seed << ": 5% of 400 windows is 20";
        EXPECT_GT(count, 0) << "seed " << seed << ": exploration shrinks but never stops";
      } else {
        unlimited += count;
      }
    }
  }
  // Without the budget the same learners explore more than it allows.
  EXPECT_GT(unlimited, 3 * 20);
}

// Probes that ran again after a window of theirs had measured them far (here 40%) slower than
// the incumbent they were probed against, in `windows` windows. A shift the learner detects
// (noise can raise one) makes it forget what it measured, and starts the count afresh.
int far_worse_reruns(Learner& learner, SyntheticEnvironment& env, int windows) {
  std::set<Choice> ran;
  std::uint64_t shifts = learner.shifts();
  int reruns = 0;
  for (int t = 0; t < windows; ++t) {
    if (learner.shifts() != shifts) ran.clear();
    shifts = learner.shifts();
    const Choice design = learner.propose();
    const Choice incumbent = learner.incumbent();
    if (design != incumbent && ran.count(design) &&
        env.latency_ms(design) > 1.4 * env.latency_ms(incumbent)) {
      ++reruns;
    }
    ran.insert(design);
    const auto [window, reward] = env.run(design, learner.window_seconds());
    learner.observe(design, window, reward);
  }
  return reruns;
}

TEST(Learner, ADesignMeasuredFarWorseThanTheIncumbentIsNotRunAgain) {
  const DesignSpace space = five_components(3);
  int without_rule = 0;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    SyntheticEnvironment env(space, {.seed = seed, .interaction_ms = 10, .noise_cv = 0.02});
    Learner learner(space, {.seed = seed});
    EXPECT_EQ(far_worse_reruns(learner, env, 400), 0) << "seed " << seed;
    SyntheticEnvironment again(space, {.seed = seed, .interaction_ms = 10, .noise_cv = 0.02});
    Learner unruled(space, {.seed = seed, .known_loss = 1e9});
    without_rule += far_worse_reruns(unruled, again, 400);
  }
  EXPECT_GT(without_rule, 0) << "the scenarios re-run far worse designs when nothing stops them";
}

// Of `windows` windows: how many ran a design more than `factor` times the incumbent's latency,
// and how many ran a group move more than `group_factor` times it.
struct WorseWindows {
  int probes = 0;
  int group_moves = 0;
};
WorseWindows worse_windows(Learner& learner, SyntheticEnvironment& env, int windows, double factor,
                           double group_factor) {
  WorseWindows worse;
  for (int t = 0; t < windows; ++t) {
    const Choice incumbent = learner.incumbent();
    const Choice design = learner.propose();
    const bool group = learner.phase() == "exploring group moves";
    const auto [window, reward] = env.run(design, learner.window_seconds());
    learner.observe(design, window, reward);
    const double ratio = env.latency_ms(design) / env.latency_ms(incumbent);
    worse.probes += ratio > factor;
    worse.group_moves += group && ratio > group_factor;
  }
  return worse;
}

TEST(Learner, AProbePredictedFarWorseOrAGroupMovePredictedWorseIsNotRun) {
  // A probe predicted more than screen_loss (50%) slower than the incumbent is not run; a group
  // move, a guess many moves wide, not when predicted slower by more than the resolution (2%).
  const DesignSpace space = five_components(3);
  WorseWindows unscreened;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    // A perfect twin: the environment's own latency.
    SyntheticEnvironment env(space, {.seed = seed, .interaction_ms = 10, .noise_cv = 0.02});
    LearnerOptions screened{.seed = seed};
    screened.predict_ms = [&env](const Choice& c) { return env.latency_ms(c); };
    screened.screen_loss = 0.5;
    Learner learner(space, screened);
    const WorseWindows worse = worse_windows(learner, env, 400, 1.5, 1.03);
    EXPECT_EQ(worse.probes, 0) << "seed " << seed;
    EXPECT_EQ(worse.group_moves, 0) << "seed " << seed;
    SyntheticEnvironment again(space, {.seed = seed, .interaction_ms = 10, .noise_cv = 0.02});
    Learner plain(space, {.seed = seed});
    const WorseWindows plain_worse = worse_windows(plain, again, 400, 1.5, 1.03);
    unscreened.probes += plain_worse.probes;
    unscreened.group_moves += plain_worse.group_moves;
    // What it did not run cost it nothing: it ends where the unscreened learner ends.
    EXPECT_LE(env.latency_ms(learner.best()), again.latency_ms(plain.best()) * 1.01)
        << "seed " << seed;
  }
  EXPECT_GT(unscreened.probes, 0) << "without a prediction, such probes run";
  EXPECT_GT(unscreened.group_moves, 0) << "without a prediction, such group moves run";
}

// The environment's fastest design.
Choice optimum_of(const DesignSpace& space, const SyntheticEnvironment& env) {
  Choice c(space.component_count(), 0);
  Choice best = c;
  do
    if (env.latency_ms(c) < env.latency_ms(best)) best = c;
  while (space.next(c));
  return best;
}

TEST(Learner, ADesignAModelSuggestsRunsFirstAndIsAcceptedOnlyWhenMeasuredBetter) {
  const DesignSpace space = five_components(2);
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    // A perfect model suggests the optimum: the learner stands on it within a few windows (the
    // warmup, the suggestion, its confirmation), long before it would find it alone.
    SyntheticEnvironment env(space, {.seed = seed, .interaction_ms = 10, .noise_cv = 0.02});
    const Choice optimum = optimum_of(space, env);
    LearnerOptions led{.seed = seed};
    led.suggest = [&](const Choice& incumbent) -> std::optional<Choice> {
      if (env.latency_ms(optimum) < 0.98 * env.latency_ms(incumbent)) return optimum;
      return std::nullopt;
    };
    Learner learner(space, led);
    const std::size_t with = run(learner, env, 300);
    SyntheticEnvironment again(space, {.seed = seed, .interaction_ms = 10, .noise_cv = 0.02});
    Learner plain(space, {.seed = seed});
    const std::size_t without = run(plain, again, 300);
    EXPECT_GE(with, 1u) << "seed " << seed;
    EXPECT_LE(with, 6u) << "seed " << seed;
    EXPECT_TRUE(without == 0 || with < without) << "seed " << seed << ": " << without;

    // A model that is wrong suggests the worst design: it runs once and is never accepted.
    SyntheticEnvironment third(space, {.seed = seed, .interaction_ms = 10, .noise_cv = 0.02});
    Choice worst = optimum;
    Choice c(space.component_count(), 0);
    do
      if (third.latency_ms(c) > third.latency_ms(worst)) worst = c;
    while (space.next(c));
    LearnerOptions misled{.seed = seed};
    misled.suggest = [&](const Choice&) -> std::optional<Choice> { return worst; };
    Learner fooled(space, misled);
    int ran = 0;
    for (int t = 0; t < 300; ++t) ran += step(fooled, third) == worst;
    EXPECT_EQ(ran, 1) << "seed " << seed;
    EXPECT_NE(fooled.best(), worst);
    EXPECT_NE(fooled.incumbent(), worst);
  }
}

TEST(Learner, ASuggestionOutsideTheSpaceIsRefusedBeforeItIsRead) {
  const DesignSpace space = five_components(2);
  SyntheticEnvironment env(space, {.seed = 1});
  LearnerOptions options{.seed = 1};
  options.suggest = [](const Choice&) -> std::optional<Choice> { return Choice{1}; };
  Learner learner(space, options);
  learner.pin(1, 1);  // the pins are read against the suggestion
  for (int t = 0; t < 2; ++t) step(learner, env);
  EXPECT_THROW(learner.propose(), UsageError);
}

TEST(Learner, WithoutKicksOrRestartItConvergesAtItsFirstLocalOptimum) {
  const DesignSpace space = five_components(3);
  int sooner = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    SyntheticEnvironment env(space, {.seed = seed, .interaction_ms = 10, .noise_cv = 0.02});
    Learner plain(space, {.seed = seed, .max_kicks = 0, .restart = false});
    SyntheticEnvironment again(space, {.seed = seed, .interaction_ms = 10, .noise_cv = 0.02});
    Learner searching(space, {.seed = seed, .max_kicks = 1000, .restart = true});
    const std::size_t first = windows_to_converge(plain, env);
    const std::size_t later = windows_to_converge(searching, again);
    EXPECT_LT(first, 1000u) << "seed " << seed;
    EXPECT_LE(first, later) << "seed " << seed;
    sooner += first < later;
  }
  EXPECT_GT(sooner, 0) << "kicks and the restart search on after the first local optimum";
}

TEST(Agent, ARefineTurnDropsEachMemberOfASetNotOnlyTheWorstRanked) {
  const DesignSpace space = five_components(3);
  constexpr std::size_t kStore = 4;  // keyed: its sets are shards
  Agent agent(space, kStore);
  const OptionTree& tree = agent.tree();
  const HostMask set = 0b1110;  // the three nodes, without the origin
  agent.begin_turn(*tree.set(set), 0.0, TurnMode::refine, 0.01);
  std::set<HostMask> probed;
  while (const auto option = agent.next_probe()) {
    probed.insert(tree.shape(*option).hosts);
    agent.report(*option, -1.0);
  }
  for (std::size_t h = 1; h <= 3; ++h) {
    EXPECT_TRUE(probed.count(set & ~(HostMask{1} << h))) << "the set without host " << h;
  }
}

TEST(Learner, ExplorationBudgetAndHorizonOutOfRangeThrow) {
  const DesignSpace space = five_components(2);
  for (const double budget : {-0.01, 1.01, std::numeric_limits<double>::quiet_NaN()})
    EXPECT_THROW(Learner(space, {.exploration_budget = budget}), UsageError) << budget;
  EXPECT_THROW(Learner(space, {.horizon_seconds = -1}), UsageError);
  EXPECT_NO_THROW(Learner(space, {.exploration_budget = 0}));
  EXPECT_NO_THROW(Learner(space, {.exploration_budget = 1, .horizon_seconds = 0}));
}

TEST(Learner, APinnedComponentStaysWhereItIsPinnedUntilUnpinned) {
  const DesignSpace space = five_components(2, true);
  SyntheticEnvironment env(space, {.seed = 4, .interaction_ms = 2, .noise_cv = 0.05});
  Learner learner(space, {.seed = 4});
  run(learner, env, 60);
  // Pinned mid-search, on an option the learner does not stand on.
  const std::size_t cache = 3;
  const OptionIndex held = learner.incumbent()[cache] == 2 ? 3 : 2;
  learner.pin(cache, held);
  EXPECT_TRUE(learner.pinned(cache));
  EXPECT_FALSE(learner.pinned(1));
  EXPECT_EQ(learner.incumbent()[cache], held);
  EXPECT_EQ(learner.best()[cache], held);
  // Sweeps, group moves, kicks and the restart all leave it alone, until the learner converges
  // and for 150 windows after.
  for (int t = 0, quiet = 0; quiet < 150; ++t) {
    ASSERT_LT(t, 1000) << "the learner does not converge";
    ASSERT_EQ(step(learner, env)[cache], held) << "window " << t << ", " << learner.phase();
    quiet = learner.converged() ? quiet + 1 : 0;
  }
  EXPECT_EQ(learner.best()[cache], held);

  // Converged, its refinement turn comes next (after the turn that is open, if one is), and
  // moves it again.
  learner.unpin(cache);
  EXPECT_FALSE(learner.pinned(cache));
  std::vector<std::string> turns;  // who explored, in order
  bool moved = false;
  for (int t = 0; t < 400; ++t) {
    const Choice incumbent = learner.incumbent();
    const Choice design = step(learner, env);
    if (design == incumbent) continue;
    moved = moved || design[cache] != held;
    const std::string who = learner.phase().substr(learner.phase().find(' ') + 1);
    if (turns.empty() || turns.back() != who) turns.push_back(who);
  }
  EXPECT_TRUE(moved);
  ASSERT_FALSE(turns.empty());
  EXPECT_TRUE(turns[0] == "cache" || (turns.size() > 1 && turns[1] == "cache"))
      << "the first turns after unpin: " << turns[0] << ", " << (turns.size() > 1 ? turns[1] : "");

  EXPECT_THROW(learner.pin(0, 0), UsageError) << "the space pins the front already";
  EXPECT_THROW(learner.pin(space.component_count(), 0), UsageError);
  EXPECT_THROW(learner.pin(cache, space.option_count(cache)), UsageError);
  EXPECT_THROW(learner.unpin(space.component_count()), UsageError);
}

TEST(Learner, ARestoredLearnerMeasuresItsDesignThenExploits) {
  const DesignSpace space = five_components(2);
  SyntheticEnvironment env(space, {.seed = 5, .noise_cv = 0.02});
  Learner first(space, {.seed = 5});
  ASSERT_TRUE(run_until_converged(first, env));
  run(first, env, 50);
  const LearnerMemory saved = first.memory();
  ASSERT_TRUE(saved.converged);
  EXPECT_EQ(saved.best, first.best());
  EXPECT_FALSE(saved.designs.empty());

  // Converged: the first windows measure the saved design, then it exploits without a sweep.
  Learner second(space, {.seed = 5});
  second.restore(saved);
  EXPECT_EQ(second.best(), saved.best);
  EXPECT_EQ(second.window_seconds(), saved.window_seconds);
  EXPECT_FALSE(second.converged()) << "it measures the saved design first";
  EXPECT_TRUE(second.memory().converged) << "but a restart now would not search again";
  const LearnerOptions defaults;
  int others = 0;
  for (unsigned t = 0; t < 30; ++t) {
    const Choice incumbent = second.incumbent();
    const Choice design = step(second, env);
    if (t < defaults.warmup_windows) {
      EXPECT_EQ(design, saved.best) << "window " << t;
    }
    others += design != incumbent;
  }
  EXPECT_TRUE(second.converged());
  EXPECT_EQ(second.shifts(), 0u);
  EXPECT_LE(others, int(defaults.exploration_budget * 30)) << "no sweep after the restore";

  // Unconverged: after the same warmup it searches again, from the saved design.
  LearnerMemory unconverged = saved;
  unconverged.converged = false;
  Learner third(space, {.seed = 5});
  third.restore(unconverged);
  for (unsigned t = 0; t < defaults.warmup_windows; ++t) EXPECT_EQ(step(third, env), saved.best);
  EXPECT_GT(explored(third, env, 28), int(defaults.exploration_budget * 30));

  // In a changed environment the saved design's first windows surprise Page-Hinkley: a shift.
  SyntheticEnvironment changed(space, {.seed = 5, .noise_cv = 0.02});
  changed.reshuffle(105);
  Learner fourth(space, {.seed = 5});
  fourth.restore(saved);
  for (int t = 0; t < 8 && fourth.shifts() == 0; ++t) step(fourth, changed);
  EXPECT_EQ(fourth.shifts(), 1u) << "within its warmup and 6 windows more";

  LearnerMemory wrong = saved;
  wrong.designs.front().first.pop_back();
  Learner fresh(space, {});
  EXPECT_THROW(fresh.restore(wrong), UsageError) << "a design that does not fit the space";
  EXPECT_THROW(third.restore(saved), UsageError) << "a learner that ran windows already";
}

TEST(Learner, MovesThatCannotPayForThemselvesAreNotTried) {
  const DesignSpace space = five_components(2);
  for (const double cost : {0.0, 1e9}) {
    SyntheticEnvironment env(space, {.seed = 2, .noise_cv = 0.02});
    Learner learner(space, {.seed = 2});
    for (std::size_t c = 0; c < space.component_count(); ++c) learner.set_move_cost(c, cost);
    ASSERT_TRUE(run_until_converged(learner, env));
    const int count = explored(learner, env, 300);
    if (cost > 0) {
      EXPECT_EQ(count, 0) << "no refinement turn once converged";
      EXPECT_GT(learner.turns_skipped_for_cost(), 0u);
    } else {
      EXPECT_GT(count, 0) << "free moves are refined";
      EXPECT_EQ(learner.turns_skipped_for_cost(), 0u);
    }
  }
  Learner learner(space, {});
  EXPECT_THROW(learner.set_move_cost(space.component_count(), 1), UsageError);
  EXPECT_THROW(learner.set_move_cost(0, -1), UsageError);
}

// Agents whose components do not call each other probe in the same windows, and each one's best
// probe runs alone before it is accepted: the same optimum in fewer windows.
TEST(Learner, AgentsWhoseComponentsDoNotCallEachOtherExploreTogether) {
  const DesignSpace space = five_components(3, true);
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    SyntheticEnvironment env(space, {.seed = seed, .star = true});
    Learner crew(space, {.seed = seed, .concurrent_agents = 4});
    int together = 0;
    std::size_t windows = 0;
    for (; windows < 1000 && !crew.converged(); ++windows) {
      const Choice before = crew.incumbent();
      const Choice design = step(crew, env);
      together += crew.phase().find(", ") != std::string::npos;
      std::size_t changed = 0;
      for (std::size_t c = 0; c < design.size(); ++c) changed += crew.incumbent()[c] != before[c];
      EXPECT_LE(changed, 1u) << "an incumbent accepted on a window in which several moved";
    }
    SyntheticEnvironment again(space, {.seed = seed, .star = true});
    Learner alone(space, {.seed = seed});
    const std::size_t sequential = windows_to_converge(alone, again);
    EXPECT_GT(together, 0) << "seed " << seed;
    EXPECT_DOUBLE_EQ(env.latency_ms(crew.best()), env.optimum_ms()) << "seed " << seed;
    EXPECT_DOUBLE_EQ(again.latency_ms(alone.best()), again.optimum_ms()) << "seed " << seed;
    EXPECT_LT(windows, sequential) << "seed " << seed;
  }
}

// In a chain every component reaches every later one: no two may explore together, and the
// learner proposes exactly what one agent at a time would.
TEST(Learner, ACrewNeverJoinsComponentsThatCallEachOther) {
  const DesignSpace space = five_components(2, true);
  SyntheticEnvironment env(space, {.seed = 4, .interaction_ms = 3, .noise_cv = 0.02});
  SyntheticEnvironment again(space, {.seed = 4, .interaction_ms = 3, .noise_cv = 0.02});
  Learner crew(space, {.seed = 4, .concurrent_agents = 4});
  Learner alone(space, {.seed = 4});
  for (int t = 0; t < 300; ++t) {
    ASSERT_EQ(step(crew, env), step(alone, again)) << "window " << t + 1;
    EXPECT_EQ(crew.phase().find(", "), std::string::npos) << crew.phase();
  }
}

}  // namespace
}  // namespace hatch

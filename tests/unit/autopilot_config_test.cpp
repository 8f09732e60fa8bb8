// The autopilot's inputs: the design space from the catalog (one placement rule), the [learn]
// table of a configuration file and the flags, and the state file a restart reads back.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "autopilot/learner_state_file.hpp"
#include "design/catalog_space.hpp"
#include "hatch/app.hpp"
#include "hatch/placement_rule.hpp"

namespace hatch {
namespace {

std::string write_file(const std::string& name, const std::string& text) {
  const std::string dir = "/tmp/hatch-autopilot-config-test-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string error_of(const std::string& toml) {
  Options options;
  AutopilotOptions learn;
  try {
    load_config_file(write_file("learn.toml", toml), options, learn);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(CatalogSpace, KindsAndShardabilityComeFromTheCatalog) {
  const DesignSpace space =
      catalog_space(Catalog::program(), {"echo", "tally", "counts", "ledger"}, {"a", "b"});
  ASSERT_EQ(space.component_count(), 4u);
  EXPECT_EQ(space.component(0).kind, StateKind::stateless);
  EXPECT_EQ(space.component(1).kind, StateKind::stateful);
  EXPECT_EQ(space.component(2).kind, StateKind::keyed);
  EXPECT_EQ(space.component(3).kind, StateKind::keyed);
  // Local, on(a), on(b), then the four sets of two or more hosts: sharded only where the rule
  // allows it. The ledger is keyed, but its read `where` has no shard key and no merge.
  const Placement::Kind sets[] = {Placement::Kind::replicated, Placement::Kind::replicated,
                                  Placement::Kind::sharded, Placement::Kind::replicated};
  for (std::size_t c = 0; c < 4; ++c) {
    ASSERT_EQ(space.option_count(c), 7u);
    for (OptionIndex o = 3; o < 7; ++o) EXPECT_EQ(space.option_kind(c, o), sets[c]) << c;
  }
  EXPECT_EQ(space.size(), "2401");
  const ComponentEntry& ledger = *Catalog::program().find("ledger");
  try {
    PlacementRule::of(ledger).check(Placement::sharded({"a", "b"}));
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_TRUE(contains(e.what(), "cannot shard 'ledger'")) << e.what();
    EXPECT_TRUE(contains(e.what(), "Ledger::where")) << e.what();
  }
  EXPECT_NO_THROW(PlacementRule::of(ledger).check(Placement::replicated({"a", "b"})));
  EXPECT_THROW(catalog_space(Catalog::program(), {"ghost"}, {"a"}), UsageError);
}

TEST(LearnConfig, ReadsEverySettingAndResolvesTheStateFileNextToTheConfig) {
  const std::string path = write_file("good.toml", R"(
nodes = ["127.0.0.1:7001", "127.0.0.1:7002"]
[learn]
components = ["cache", "store"]
entry = "reported"
window_initial_seconds = 2
window_min_seconds = 1
window_max_seconds = 4
reward = "p99"
reward_cap_ms = 20
cost_per_host = 0.01
accept_sigmas = 3
noise_floor = 0.04
exploration_budget = 0.1
concurrent_agents = 4
twin = false
screen_loss = 0.25
move_horizon_seconds = 60
guard_multiple = 3
settle_slice_ms = 100
settle_tolerance = 0.2
max_settle_ms = 1500
state_file = "learned.json"
seed = 7
[learn.pins]
cache = "local"
)");
  Options options;
  AutopilotOptions learn;
  load_config_file(path, options, learn);
  EXPECT_TRUE(learn.enabled);
  EXPECT_EQ(options.nodes, (std::vector<std::string>{"127.0.0.1:7001", "127.0.0.1:7002"}));
  EXPECT_EQ(learn.components, (std::vector<std::string>{"cache", "store"}));
  EXPECT_EQ(learn.entry, "reported");
  EXPECT_EQ(learn.window_initial_seconds, 2);
  EXPECT_EQ(learn.window_min_seconds, 1);
  EXPECT_EQ(learn.window_max_seconds, 4);
  EXPECT_EQ(learn.reward, "p99");
  EXPECT_EQ(learn.reward_cap_ms, 20);
  EXPECT_EQ(learn.cost_per_host, 0.01);
  EXPECT_EQ(learn.accept_sigmas, 3);
  EXPECT_EQ(learn.noise_floor, 0.04);
  EXPECT_EQ(learn.exploration_budget, 0.1);
  EXPECT_EQ(learn.concurrent_agents, 4u);
  EXPECT_FALSE(learn.twin);
  EXPECT_EQ(learn.screen_loss, 0.25);
  EXPECT_EQ(learn.move_horizon_seconds, 60);
  EXPECT_EQ(learn.guard_multiple, 3);
  EXPECT_EQ(learn.settle_slice, std::chrono::milliseconds(100));
  EXPECT_EQ(learn.settle_tolerance, 0.2);
  EXPECT_EQ(learn.max_settle, std::chrono::milliseconds(1500));
  EXPECT_EQ(learn.seed, 7u);
  EXPECT_EQ(learn.pins.at("cache"), Placement::local());
  EXPECT_EQ(learn.state_file,
            (std::filesystem::path(path).parent_path() / "learned.json").string());

  AutopilotOptions off;
  load_config_file(write_file("off.toml", "[learn]\nenabled = false\n"), options, off);
  EXPECT_FALSE(off.enabled);

  AutopilotOptions led;
  load_config_file(write_file("led.toml", "[learn]\nsuggest = true\n"), options, led);
  EXPECT_TRUE(led.suggest);
}

TEST(LearnConfig, ABadKeyOrValueNamesTheFileTheLineAndTheKey) {
  std::string e = error_of("nodes = [\"a:1\"]\n[learn]\nwindow_max = 3\n");
  EXPECT_TRUE(contains(e, "learn.toml:3: unknown setting 'learn.window_max'")) << e;
  e = error_of("[learn]\nseed = 1\nreward_cap_ms = \"fast\"\n");
  EXPECT_TRUE(contains(e, "learn.toml:3: learn.reward_cap_ms must be a number")) << e;
  e = error_of("[learn]\n\nexploration_budget = 1.5\n");
  EXPECT_TRUE(contains(e, "learn.toml:3: learn.exploration_budget must lie between 0 and 1")) << e;
  e = error_of("[learn]\nconcurrent_agents = 0\n");
  EXPECT_TRUE(contains(e, "learn.toml:2: learn.concurrent_agents must lie between 1 and 64")) << e;
  e = error_of("[learn]\nscreen_loss = -1\n");
  EXPECT_TRUE(contains(e, "learn.toml:2: learn.screen_loss must be 0 (off) or a relative")) << e;
  e = error_of("[learn]\ntwin = false\nsuggest = true\n");
  EXPECT_TRUE(contains(e, "learn.suggest needs the twin")) << e;
  e = error_of("[learn]\ntwin = 1\n");
  EXPECT_TRUE(contains(e, "learn.toml:2: learn.twin must be")) << e;
  e = error_of("[learn]\nreward = \"median\"\n");
  EXPECT_TRUE(contains(e, "learn.toml:2: learn.reward must be one of mean, p50, p95, p99, mix"))
      << e;
  e = error_of("[learn]\nwindow_min_seconds = 2\nwindow_max_seconds = 1\n");
  EXPECT_TRUE(contains(e, "learn.toml:3: learn.window_max_seconds must lie between")) << e;
  e = error_of("nodes = \"a:1\"\n");
  EXPECT_TRUE(contains(e, "learn.toml:1: nodes must be an array")) << e;
  e = error_of("[learn.pins]\ncache = \"sharded{a}\"\n");
  EXPECT_TRUE(contains(e, "learn.toml:2: learn.pins.cache:")) << e;
  e = error_of("learn = 1\n");
  EXPECT_TRUE(contains(e, "learn must be a table")) << e;
}

TEST(LearnConfig, FlagsTurnLearningOnAndLearningNeedsNodes) {
  const char* no_nodes[] = {"app", "--hatch-learn"};
  try {
    parse_flags(2, no_nodes);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_TRUE(contains(e.what(), "learning needs nodes")) << e.what();
  }
  const char* argv[] = {"app",
                        "--hatch-learn",
                        "--hatch-nodes",
                        "127.0.0.1:1,127.0.0.1:2",
                        "--hatch-learn-state",
                        "/tmp/s.json",
                        "rest"};
  const ParsedFlags f = parse_flags(7, argv);
  EXPECT_TRUE(f.learn.enabled);
  EXPECT_EQ(f.options.nodes, (std::vector<std::string>{"127.0.0.1:1", "127.0.0.1:2"}));
  EXPECT_EQ(f.learn.state_file, "/tmp/s.json");
  EXPECT_EQ(f.rest, (std::vector<std::string>{"app", "rest"}));
}

TEST(LearnerStateFile, RoundTripsAndLeavesOutWhatNoLongerFits) {
  const DesignSpace space({{"cache", StateKind::keyed}, {"log", StateKind::stateful}}, {"a", "b"});
  LearnerMemory memory;
  memory.incumbent = {4, 1};  // cache sharded{local,b}, log on(a)
  memory.best = {6, 2};       // cache sharded{local,a,b}, log on(b)
  memory.converged = true;
  memory.window_seconds = 1.5;
  DesignRecord record;
  record.value.add(0.5);
  record.value.add(0.7);
  record.last_seconds = 1.5;
  memory.designs.push_back({{6, 2}, record});
  memory.designs.push_back({{1, 0}, record});
  const std::string path = write_file("state.json", "");
  save_learner_state(path, space, memory);

  const LoadedState same = load_learner_state(path, space);
  ASSERT_TRUE(same.memory);
  EXPECT_TRUE(same.notes.empty());
  EXPECT_EQ(same.memory->incumbent, memory.incumbent);
  EXPECT_EQ(same.memory->best, memory.best);
  EXPECT_TRUE(same.memory->converged);
  EXPECT_EQ(same.memory->window_seconds, 1.5);
  ASSERT_EQ(same.memory->designs.size(), 2u);
  EXPECT_EQ(same.memory->designs[0].second.value.pulls, 2u);
  EXPECT_DOUBLE_EQ(same.memory->designs[0].second.value.mean, 0.6);

  // Node "b" is gone: the designs that use it are left out, the learned design's components
  // that used it start local, and the notes say so.
  const DesignSpace smaller({{"cache", StateKind::keyed}, {"log", StateKind::stateful}}, {"a"});
  const LoadedState fitted = load_learner_state(path, smaller);
  ASSERT_TRUE(fitted.memory);
  EXPECT_FALSE(fitted.notes.empty());
  for (const auto& [choice, r] : fitted.memory->designs) smaller.check(choice);
  smaller.check(fitted.memory->best);
  EXPECT_LT(fitted.memory->designs.size(), 2u);

  EXPECT_FALSE(load_learner_state(path + ".missing", space).memory);
  std::ofstream(path) << "{ not json";
  EXPECT_THROW(load_learner_state(path, space), UsageError);
}

}  // namespace
}  // namespace hatch

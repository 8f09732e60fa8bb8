#include "sim/scenario_toml.hpp"

#include <gtest/gtest.h>

#include "hatch/error.hpp"

namespace hatch::sim {
namespace {

constexpr const char* kMinimal = R"(
entry = "front"
[origin]
cores = 2
memory_mb = 512
[[nodes]]
name = "a"
cores = 4
memory_mb = 1024
rtt_ms = 0.5
[[components]]
name = "front"
kind = "stateless"
pinned = true
read_ms = 0.1
[[components]]
name = "kv"
kind = "keyed"
read_ms = 0.2
write_ms = 0.4
[components.cache]
working_set_mb = 800
[[edges]]
from = "front"
to = "kv"
calls = { get = 1, set = 0 }
[[edges]]
from = "front"
to = "kv"
op = "write"
calls = { set = 1 }
when = "miss:kv"
[workload]
rate = 100
mix = { get = 3, set = 1 }
)";

std::string error_of(const std::string& text) {
  try {
    parse_scenario(text, "test.toml");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(ScenarioToml, ReadsEveryPart) {
  const Scenario s = parse_scenario(kMinimal, "dir/minimal.toml");
  EXPECT_EQ(s.name, "minimal");
  ASSERT_EQ(s.hosts.size(), 2u);
  EXPECT_EQ(s.hosts[1].name, "a");
  EXPECT_DOUBLE_EQ(s.rtt(0, 1), 0.5);
  EXPECT_DOUBLE_EQ(s.bandwidth(1, 0), 1000);  // the default
  ASSERT_EQ(s.components.size(), 2u);
  EXPECT_TRUE(s.components[0].pinned);
  EXPECT_EQ(s.components[1].kind, StateKind::keyed);
  ASSERT_TRUE(s.components[1].cache);
  EXPECT_DOUBLE_EQ(s.components[1].cache->max_hit, 0.9);
  EXPECT_EQ(s.classes, (std::vector<std::string>{"get", "set"}));
  EXPECT_EQ(s.workload.mix, (std::vector<double>{0.75, 0.25}));
  EXPECT_EQ(s.edges[0].calls, (std::vector<double>{1, 0}));
  EXPECT_EQ(s.edges[1].calls, (std::vector<double>{0, 1}));
  EXPECT_EQ(s.edges[1].when, CallWhen::on_miss);
  EXPECT_EQ(s.space().size(), "3");
}

TEST(ScenarioToml, TheWebServerExampleHasAtLeast700000Designs) {
  const Scenario s = load_scenario(HATCH_SCENARIO_DIR "/webserver.toml");
  EXPECT_EQ(s.space().size(), "28629151");
  ASSERT_TRUE(s.shift);
  EXPECT_EQ(s.shift->at_window, 150u);
}

TEST(ScenarioToml, ErrorsNameTheFileLineAndField) {
  EXPECT_EQ(error_of(replaced(kMinimal, "read_ms = 0.2", "read_ms = -3")),
            "test.toml:19: components[1].read_ms: must be between 0 and 10000, got -3");
  EXPECT_EQ(error_of(replaced(kMinimal, "kind = \"keyed\"", "kind = \"shiny\"")),
            "test.toml:18: components[1].kind: must be stateless, stateful or keyed, got 'shiny'");
  EXPECT_EQ(error_of(replaced(kMinimal, "cores = 4", "cores = \"four\"")),
            "test.toml:8: nodes[0].cores: must be a number");
  EXPECT_EQ(error_of(replaced(kMinimal, "rtt_ms = 0.5", "rtt = 0.5")),
            "test.toml:10: nodes[0].rtt: unknown key (known: name, cores, memory_mb, rtt_ms, "
            "bandwidth_mb_per_s)");
  EXPECT_EQ(error_of(replaced(kMinimal, "to = \"kv\"", "to = \"kw\"")),
            "test.toml:25: edges[0].to: no component named 'kw'");
  EXPECT_EQ(error_of(replaced(kMinimal, "calls = { set = 1 }", "calls = { put = 1 }")),
            "test.toml:31: edges[1].calls: no request class named 'put' (the workload's mix "
            "names: get, set)");
  EXPECT_EQ(error_of(replaced(kMinimal, "rate = 100", "")),
            "test.toml:33: workload.rate: missing (a number between 0.001 and 1e+08)");
  EXPECT_EQ(error_of(replaced(kMinimal, "cores = 2\n", "cores = [\n")).substr(0, 12),
            "test.toml:5:");
}

TEST(ScenarioToml, StructuralErrorsNameTheScenario) {
  const std::string cycle = std::string(kMinimal) + "[[edges]]\nfrom = \"kv\"\nto = \"kv\"\n";
  EXPECT_EQ(error_of(cycle), "test.toml: scenario 'test': the call graph has a cycle");
  EXPECT_EQ(error_of(replaced(kMinimal, "when = \"miss:kv\"", "when = \"miss:front\"")),
            "test.toml:32: edges[1].when: 'front' has no [cache]");
}

TEST(ScenarioToml, AMissingFileSaysSo) {
  EXPECT_THROW(load_scenario("/nonexistent/scenario.toml"), UsageError);
}

}  // namespace
}  // namespace hatch::sim

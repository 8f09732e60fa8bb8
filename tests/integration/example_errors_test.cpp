// A program built with hatch::App, run as a user would run it, fails honestly: a bad flag, a
// placement of a component the program does not have, or a move that cannot be made gets a
// message that names it and a non-zero exit, never `terminate`; placement lists and the
// spellings of one address are read as they are meant; --hatch-help lists every Hatch
// flag with its default, and the program's own --help points to it.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "node_process.hpp"
#include "program_process.hpp"

namespace hatch::test {
namespace {

constexpr const char* kProgram = HATCH_KV_COUNTER_BINARY;

struct Outcome {
  int status = -1;
  std::string output;
};

Outcome run(std::vector<std::string> args) {
  args.insert(args.begin(), kProgram);
  Outcome r;
  r.status = run_command(args, r.output);
  return r;
}

void expect_says(const Outcome& r, const std::string& text) {
  EXPECT_NE(r.output.find(text), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("terminate called"), std::string::npos) << r.output;
}

TEST(ExampleErrors, AMalformedPlacementToMoveToIsRefusedBeforeTheProgramRuns) {
  Outcome r = run({"--ops", "100", "--move-kv-between", "nonsense"});
  EXPECT_EQ(r.status, 2);
  expect_says(r, "--move-kv-between: cannot read placement 'nonsense': expected local");
  EXPECT_EQ(r.output.find("counter:"), std::string::npos) << r.output;
  r = run({"--ops", "100", "--move-kv-between", "sharded{127.0.0.1:7001,local"});
  EXPECT_EQ(r.status, 2);
  expect_says(r, "has a bracket that is not closed or not opened");
}

// The failed move names the host once: the connection's message leaves it to the error that
// wraps it (it once read "instantiate on 127.0.0.1:1: ...: cannot connect to 127.0.0.1:1: ...").
TEST(ExampleErrors, AMoveThatCannotBeMadeEndsTheProgramWithAMessageAndStatusOne) {
  const SecretFile secret;
  const Outcome r = run(
      {"--hatch-secret-file", secret.path(), "--ops", "100", "--move-kv-between", "127.0.0.1:1"});
  EXPECT_EQ(r.status, 1);
  expect_says(r,
              "error: a move of kv failed: could not move 'kv' origin -> 127.0.0.1:1: control "
              "operation instantiate on 127.0.0.1:1: unavailable: cannot connect: Connection "
              "refused; it stays at origin");
  EXPECT_EQ(r.output.find("to 127.0.0.1:1"), std::string::npos) << r.output;
}

// Without a cluster secret no node can be reached: the move is refused before any gate closes,
// so callers never wait for it.
TEST(ExampleErrors, AMoveToANodeWithoutASecretIsRefusedBeforeItStarts) {
  const Outcome r = run({"--ops", "100", "--move-kv-between", "127.0.0.1:1"});
  EXPECT_EQ(r.status, 1);
  expect_says(r,
              "error: cannot move kv: component placed on node 127.0.0.1:1 but no cluster secret "
              "is set (--hatch-secret-file or Options::secret)");
  EXPECT_EQ(r.output.find("gate and drain"), std::string::npos) << r.output;
}

// A list of placements is split at the commas outside braces: kv goes to the node, then sharded
// over the node and the origin, then home, and the counter loses nothing on the way.
TEST(ExampleErrors, APlacementListKeepsTheCommasInsideBraces) {
  const SecretFile secret;
  const NodeProcess node(secret.path(), "127.0.0.1:0", {}, kProgram);
  const std::string a = node.address();
  const Outcome r = run({"--hatch-secret-file", secret.path(), "--ops", "2000", "--move-kv-between",
                         a + ",sharded{" + a + ",local}"});
  EXPECT_EQ(r.status, 0) << r.output;
  expect_says(r, "moved 'kv' origin -> " + a);
  expect_says(r, "moved 'kv' " + a + " -> sharded{" + a + ",local}");
  expect_says(r, "moved 'kv' sharded{" + a + ",local} -> origin");
  expect_says(r, "counter 'visits' = 2000 after 2000 increments (expected 2000)");
}

// localhost:P and 127.0.0.1:P are one host: kv and the counter placed by the two spellings land
// on the one node, and both bindings print its one spelling.
TEST(ExampleErrors, TwoSpellingsOfOneAddressAreOneHost) {
  const SecretFile secret;
  const NodeProcess node(secret.path(), "127.0.0.1:0", {}, kProgram);
  const std::string port = node.address().substr(node.address().rfind(':') + 1);
  const Outcome r = run({"--hatch-secret-file", secret.path(), "--ops", "100", "--hatch-place",
                         "kv=LocalHost:0" + port, "--hatch-place", "counter=127.0.0.1:" + port});
  EXPECT_EQ(r.status, 0) << r.output;
  expect_says(r, "counter: remote(127.0.0.1:" + port + ")   kv: remote(127.0.0.1:" + port + ")");
}

TEST(ExampleErrors, APlacementOfAComponentTheProgramDoesNotHaveIsRefused) {
  const Outcome r = run({"--hatch-place", "ghost=local", "--ops", "100"});
  EXPECT_EQ(r.status, 1);
  expect_says(r,
              "the placement ghost=local names 'ghost', which is no component of this "
              "program; its components: counter, kv");
}

TEST(ExampleErrors, AConfigurationSectionForAComponentTheProgramDoesNotHaveIsRefused) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() /
                                     ("hatch-typo-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(file) << "[components.greter.config]\ngreeting = \"hi\"\n";
  const Outcome r = run({"--hatch-config", file.string(), "--ops", "100"});
  std::filesystem::remove(file);
  EXPECT_EQ(r.status, 1);
  expect_says(r,
              "a configuration names 'greter', which is no component of this program; its "
              "components: counter, kv");
}

TEST(ExampleErrors, AnOutOfRangeFlagGivesItsBoundsAndAConfigDirectoryIsRefused) {
  Outcome r = run({"--hatch-call-timeout-ms", "0"});
  EXPECT_EQ(r.status, 2);
  expect_says(r, "--hatch-call-timeout-ms: Value 0 not in range 1 to 3600000");
  EXPECT_LT(r.output.size(), 200u) << r.output;
  r = run({"--hatch-config", "/"});
  EXPECT_EQ(r.status, 2);
  expect_says(r, "cannot read config file '/': it is not a regular file");
  r = run({"--hatch-config", "/nonexistent/hatch.toml"});
  EXPECT_EQ(r.status, 2);
  expect_says(r, "cannot read config file '/nonexistent/hatch.toml': no such file");
}

TEST(ExampleErrors, HatchHelpListsEveryFlagWithItsDefaultAndTheProgramsHelpPointsToIt) {
  Outcome r = run({"--hatch-help"});
  EXPECT_EQ(r.status, 0);
  for (const char* flag : {"--hatch-node", "--hatch-place", "--hatch-config", "--hatch-secret-file",
                           "--hatch-join", "--hatch-nodes", "--hatch-learn", "--hatch-log-level",
                           "--hatch-http-listen", "--hatch-drain-timeout-ms"}) {
    EXPECT_NE(r.output.find(flag), std::string::npos) << flag << "\n" << r.output;
  }
  expect_says(r, "=5000");  // the call timeout's default, in ms
  r = run({"--help"});
  EXPECT_EQ(r.status, 0);
  expect_says(r, "--hatch-help lists them with their defaults");
}

}  // namespace
}  // namespace hatch::test

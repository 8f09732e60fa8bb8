// A program built with hatch::App, run as a user would run it, fails honestly: a bad flag, a
// placement of a component the program does not have, or a move that cannot be made gets a
// message that names it and a non-zero exit, never `terminate`; --hatch-help lists every Hatch
// flag with its default, and the program's own --help points to it.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

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

TEST(ExampleErrors, AMoveThatCannotBeMadeEndsTheProgramWithAMessageAndStatusOne) {
  const Outcome r = run({"--ops", "100", "--move-kv-between", "nonsense"});
  EXPECT_EQ(r.status, 1);
  expect_says(r, "cannot move kv: 'nonsense' is not an address of the form HOST:PORT");
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

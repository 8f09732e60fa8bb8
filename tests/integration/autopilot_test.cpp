// The autopilot end to end. A program whose code holds only components, hatch::App and a load
// (apps/autopilot_kv), two nodes of its own binary, and a TOML file that turns learning on
// and lists the nodes. Its store keeps 800 of its 2,000 entries in (emulated) memory per
// instance, so sharding it over the three hosts is what pays; its audit trail stalls on any node,
// so every probe that moves it there is far worse than the incumbent. The test reads only what the
// program logs (each window and decision of its autopilot) and its state file.
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "node_process.hpp"
#include "program_process.hpp"

namespace hatch::test {
namespace {

// One window as the autopilot logged it: "autopilot: window 12 probe cut-short 0.30 s ...: D".
struct LoggedWindow {
  std::uint64_t index = 0;
  bool probe = false;
  bool cut_short = false;
  std::string design;  // describe_design: the components not local
};

std::optional<LoggedWindow> parse_window(const std::string& line) {
  static const std::regex pattern(R"(autopilot: window (\d+)((?: \w[\w-]*)*) [0-9.]+ s .*: (.*)$)");
  std::smatch m;
  if (!std::regex_search(line, m, pattern)) return std::nullopt;
  LoggedWindow w;
  w.index = std::stoull(m[1].str());
  w.probe = m[2].str().find(" probe") != std::string::npos;
  w.cut_short = m[2].str().find(" cut-short") != std::string::npos;
  w.design = m[3].str();
  return w;
}

std::vector<LoggedWindow> windows_of(const std::vector<std::string>& lines) {
  std::vector<LoggedWindow> out;
  for (const std::string& line : lines) {
    if (auto w = parse_window(line)) out.push_back(*w);
  }
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class AutopilotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_);
    for (int i = 0; i < 2; ++i) {
      nodes_.push_back(std::make_unique<NodeProcess>(secret_.path(), "127.0.0.1:0",
                                                     std::vector<std::string>{}, kProgram));
    }
    std::ofstream toml(config_);
    toml << "nodes = [\"" << nodes_[0]->address() << "\", \"" << nodes_[1]->address() << "\"]\n"
         << "[learn]\n"
         << "state_file = \"state.json\"\n"
         << "window_initial_seconds = 0.3\n"
         << "window_min_seconds = 0.2\n"
         << "window_max_seconds = 0.4\n"
         << "noise_floor = 0.1\n"
         << "settle_slice_ms = 50\n"
         << "max_settle_ms = 500\n"
         << "[components.store.config]\n"
         << "emulated_memory_entries = 800\n"
         << "emulated_miss_us = 4000\n"
         << "emulated_access_us = 1000\n"
         << "[components.audit.config]\n"
         << "emulated_stall_ms_on_nodes = 300\n";
  }
  void TearDown() override {
    // On failure, what the autopilot did: the programs' logs.
    if (HasFailure()) std::printf("the programs' logs:\n%s", logs_.c_str());
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<ProgramProcess> start_program() {
    return std::make_unique<ProgramProcess>(
        kProgram,
        std::vector<std::string>{"--hatch-config", config_, "--hatch-secret-file", secret_.path(),
                                 "--hatch-log-level", "info", "--hatch-call-timeout-ms", "30000",
                                 "--threads", "4", "--keys", "2000"});
  }

  // Stops the program as an operator would and checks what its load saw: every acknowledged
  // write still in the store, no call failed.
  void stop_and_check(ProgramProcess& program) {
    const int status = program.stop(SIGTERM);
    for (const std::string& line : program.lines()) logs_ += line + "\n";
    ASSERT_TRUE(WIFEXITED(status)) << "the program did not exit by itself";
    EXPECT_EQ(WEXITSTATUS(status), 0);
    bool checked = false;
    for (const std::string& line : program.lines()) {
      static const std::regex summary(
          R"((\d+) acknowledged writes, (\d+) lost; (\d+) calls failed)");
      std::smatch m;
      if (!std::regex_search(line, m, summary)) continue;
      checked = true;
      EXPECT_GT(std::stoull(m[1].str()), 0u) << line;
      EXPECT_EQ(m[2].str(), "0") << line;
      EXPECT_EQ(m[3].str(), "0") << line;
    }
    EXPECT_TRUE(checked) << "the program printed no summary of its writes";
  }

  nlohmann::json state() const {
    std::ifstream in(dir_ + "/state.json");
    return nlohmann::json::parse(in);
  }

  static constexpr const char* kProgram = HATCH_AUTOPILOT_KV_BINARY;
  SecretFile secret_;
  const std::string dir_ = "/tmp/hatch-autopilot-test-" + std::to_string(::getpid());
  const std::string config_ = dir_ + "/autopilot_kv.toml";
  std::vector<std::unique_ptr<NodeProcess>> nodes_;
  std::string logs_;
};

TEST_F(AutopilotTest, AProgramWithNoLearningCodeShardsItsStoreAndResumesFromItsStateFile) {
  // First run: learning from all local until the autopilot says it converged.
  std::unique_ptr<ProgramProcess> program = start_program();
  const bool converged = program
                             ->wait_for_line([](const std::string& l) {
                               return contains(l, "autopilot: w") && contains(l, " converged:");
                             })
                             .has_value();
  stop_and_check(*program);
  ASSERT_TRUE(converged) << "the autopilot never converged";

  const std::vector<LoggedWindow> first = windows_of(program->lines());
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first.front().design, "all local");
  const nlohmann::json learned = state();
  const std::string store = learned.at("best").at("store").get<std::string>();
  EXPECT_EQ(store.rfind("sharded{", 0), 0u) << "learned " << learned.at("best").dump();
  EXPECT_EQ(learned.at("best").at("audit").get<std::string>(), "local");

  // The guard rail: every probe that put the audit trail on a node was cut short, and the
  // window after it ran the audit trail on the origin again.
  std::size_t rolled_back = 0;
  for (std::size_t i = 0; i < first.size(); ++i) {
    if (!contains(first[i].design, "audit=")) continue;
    ASSERT_TRUE(first[i].cut_short) << "window " << first[i].index << " ran " << first[i].design;
    ASSERT_LT(i + 1, first.size());
    EXPECT_EQ(first[i + 1].index, first[i].index + 1);
    EXPECT_FALSE(contains(first[i + 1].design, "audit="))
        << "window " << first[i + 1].index << " still ran " << first[i + 1].design;
    ++rolled_back;
  }
  EXPECT_GT(rolled_back, 0u) << "no probe moved the audit trail to a node";
  std::size_t rollbacks = 0;
  for (const std::string& line : program->lines()) rollbacks += contains(line, " rollback audit");
  EXPECT_EQ(rollbacks, rolled_back);

  // Second run, same state file: its first window runs the learned design, and the incumbent
  // never goes back to all local.
  program = start_program();
  const std::optional<std::string> sixth = program->wait_for_line(
      [](const std::string& l) { return contains(l, "autopilot: window 6 "); });
  stop_and_check(*program);
  ASSERT_TRUE(sixth) << "the restarted program ran fewer than six windows";
  const std::vector<LoggedWindow> second = windows_of(program->lines());
  ASSERT_GE(second.size(), 6u);
  EXPECT_EQ(second.front().index, 1u);
  EXPECT_TRUE(contains(second.front().design, "store=" + store)) << second.front().design;
  for (const LoggedWindow& w : second) {
    if (!w.probe) {
      EXPECT_TRUE(contains(w.design, "store=sharded{")) << "window " << w.index;
    }
  }
  bool restored = false;
  for (const std::string& line : program->lines()) restored |= contains(line, " restore: from ");
  EXPECT_TRUE(restored);
}

}  // namespace
}  // namespace hatch::test

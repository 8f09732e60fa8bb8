// What an operator sees of a program that distributes itself: apps/autopilot_kv, learning over
// two nodes of its own binary, serving the dashboard on --hatch-http-listen. Once its
// autopilot has moved a component, `hatch status` prints its nodes, placements, learner and
// moves, and the dashboard rendered by a real headless browser (Debian's chromium) shows every
// component, the host it is on, and the move in its decision log.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "node_process.hpp"
#include "ops/http_get.hpp"
#include "program_process.hpp"

namespace hatch::test {
namespace {

using nlohmann::json;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// `text` with the characters a regular expression gives a meaning to escaped.
std::string escaped(const std::string& text) {
  return std::regex_replace(text, std::regex(R"([\\^$.|?*+()\[\]{}])"), R"(\$&)");
}

// The part of the dashboard's DOM that draws host `host`: from its box to the next host's.
std::string host_box(const std::string& dom, const std::string& host) {
  const std::size_t at = dom.find("data-host=\"" + host + "\"");
  if (at == std::string::npos) return {};
  return dom.substr(at, dom.find("data-host=", at + 1) - at);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_);
    for (int i = 0; i < 2; ++i) {
      nodes_.push_back(std::make_unique<NodeProcess>(secret_.path(), "127.0.0.1:0",
                                                     std::vector<std::string>{}, kProgram));
    }
    std::ofstream toml(dir_ + "/hatch.toml");
    toml << "nodes = [\"" << nodes_[0]->address() << "\", \"" << nodes_[1]->address() << "\"]\n"
         << "http_listen = \"127.0.0.1:0\"\n"
         << "[learn]\n"
         << "window_initial_seconds = 0.3\n"
         << "window_min_seconds = 0.2\n"
         << "window_max_seconds = 0.4\n"
         << "settle_slice_ms = 50\n"
         << "max_settle_ms = 500\n"
         // Once converged it probes no more, so that a test can see the page while nothing
         // moves.
         << "exploration_budget = 0\n";
    toml.close();
    program_ = std::make_unique<ProgramProcess>(
        kProgram, std::vector<std::string>{
                      "--hatch-config", dir_ + "/hatch.toml", "--hatch-secret-file", secret_.path(),
                      "--hatch-log-level", "info", "--threads", "2", "--keys", "500"});
    static const std::regex serving(R"(serving HTTP on http://([0-9.]+:[0-9]+)/)");
    const auto line =
        program_->wait_for_line([](const std::string& l) { return std::regex_search(l, serving); });
    ASSERT_TRUE(line) << "the program never said where it serves HTTP";
    std::smatch m;
    std::regex_search(*line, m, serving);
    http_ = m[1].str();
    // A move the autopilot made and logged: "autopilot: w3 probe store local -> on(...)".
    static const std::regex move(R"(autopilot: w\d+ (probe|adopt|return|rollback) (\w+) )");
    const auto moved =
        program_->wait_for_line([](const std::string& l) { return std::regex_search(l, move); });
    ASSERT_TRUE(moved) << "the autopilot made no move";
  }

  void TearDown() override {
    if (program_) {
      program_->stop(SIGTERM);
      if (HasFailure()) {
        std::printf("the program's log:\n");
        for (const std::string& line : program_->lines()) std::printf("%s\n", line.c_str());
      }
    }
    std::filesystem::remove_all(dir_);
  }

  json api(const std::string& target) const {
    const ops::HttpGetReply reply = ops::http_get(http_, target);
    EXPECT_EQ(reply.status, 200) << target << ": " << reply.body;
    return json::parse(reply.body);
  }

  // How many transitions the origin has run, from its /metrics: it counts each as it ends.
  double transitions() const {
    const std::string text = ops::http_get(http_, "/metrics").body;
    double sum = 0;
    static const std::regex line(R"re(\nhatch_transitions_total\{[^}]*\} ([0-9.e+]+))re");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), line);
         it != std::sregex_iterator(); ++it) {
      sum += std::stod((*it)[1].str());
    }
    return sum;
  }

  // Runs `observe` while nothing moved: between two reads of the placements and the origin's
  // transition count that agree (a probe and its rollback leave the placements as they were,
  // but not the count). Returns those placements; gives up after 20 tries.
  json steady_placements(const std::function<void()>& observe) const {
    for (int attempt = 0; attempt < 20; ++attempt) {
      const double moves = transitions();
      const json before = api("/api/placements");
      observe();
      if (api("/api/placements") == before && transitions() == moves) return before;
    }
    ADD_FAILURE() << "something moved during each of 20 observations";
    return {};
  }

  static constexpr const char* kProgram = HATCH_AUTOPILOT_KV_BINARY;
  SecretFile secret_;
  const std::string dir_ = "/tmp/hatch-dashboard-test-" + std::to_string(::getpid());
  std::vector<std::unique_ptr<NodeProcess>> nodes_;
  std::unique_ptr<ProgramProcess> program_;
  std::string http_;
};

TEST_F(DashboardTest, HatchStatusPrintsTheNodesPlacementsLearnerAndMoves) {
  std::string printed;
  const json placements = steady_placements([&] {
    ASSERT_EQ(
        run_to_end({HATCH_TOOL_BINARY, "status", "--origin", http_}, dir_ + "/out", dir_ + "/err"),
        0)
        << read_file(dir_ + "/err");
    printed = read_file(dir_ + "/out");
  });
  EXPECT_TRUE(contains(printed, "origin " + http_)) << printed;
  // Every node is listed; those the origin has not needed yet are not contacted.
  for (const auto& node : nodes_) {
    EXPECT_TRUE(std::regex_search(
        printed, std::regex(escaped(node->address()) + " +(connected|not contacted) ")))
        << printed;
  }
  for (const json& c : placements["components"]) {
    const std::string row =
        c["name"].get<std::string>() + " +" + escaped(c["placement"].get<std::string>());
    EXPECT_TRUE(std::regex_search(printed, std::regex(row))) << row << "\n" << printed;
  }
  EXPECT_TRUE(contains(printed, "learner: ")) << printed;
  EXPECT_TRUE(std::regex_search(printed, std::regex(R"(\nw\d+ +(probe|adopt|return|rollback) )")))
      << printed;

  // The same address serves the program's metrics, its learner and its moves included, and
  // its health.
  const ops::HttpGetReply metrics = ops::http_get(http_, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_TRUE(std::regex_search(metrics.body, std::regex(R"(\nhatch_learner_windows_total [1-9])")))
      << metrics.body;
  EXPECT_TRUE(std::regex_search(
      metrics.body,
      std::regex(R"re(\nhatch_transitions_total\{kind="move",outcome="ok"\} [1-9])re")))
      << metrics.body;
  EXPECT_EQ(ops::http_get(http_, "/healthz").body, "ok\n");

  // An origin that cannot be reached is an error that says so, and a non-zero exit.
  const int refused = run_to_end({HATCH_TOOL_BINARY, "status", "--origin", "127.0.0.1:1"},
                                 dir_ + "/out", dir_ + "/err");
  EXPECT_EQ(WEXITSTATUS(refused), 1);
  EXPECT_TRUE(contains(read_file(dir_ + "/err"), "cannot read the origin: GET http://127.0.0.1:1"))
      << read_file(dir_ + "/err");
}

TEST_F(DashboardTest, AHeadlessBrowserShowsEveryComponentItsHostAndTheMove) {
  const std::string chromium = find_program("chromium");
  if (chromium.empty()) {
    GTEST_SKIP() << "SKIPPED: chromium is not installed (Debian package `chromium`; "
                    "scripts/setup installs it), so the rendered dashboard is not checked";
  }
  const std::vector<std::string> browser{chromium,
                                         "--headless",
                                         "--no-sandbox",
                                         "--disable-gpu",
                                         "--disable-dev-shm-usage",
                                         "--user-data-dir=" + dir_ + "/chromium",
                                         "--virtual-time-budget=5000"};
  const std::string url = "http://" + http_ + "/";
  // Compared with the API while nothing moves: once the learner has converged.
  ASSERT_TRUE(program_->wait_for_line([](const std::string& l) {
    return contains(l, "autopilot: w") && contains(l, " converged:");
  })) << "the autopilot never converged";
  std::string dom;
  const json placements = steady_placements([&] {
    std::vector<std::string> args = browser;
    args.push_back("--dump-dom");
    args.push_back(url);
    ASSERT_EQ(run_to_end(args, dir_ + "/dom", dir_ + "/chromium.log"), 0)
        << read_file(dir_ + "/chromium.log");
    dom = read_file(dir_ + "/dom");
  });
  ASSERT_FALSE(placements["components"].empty());
  for (const json& c : placements["components"]) {
    const std::string name = c["name"].get<std::string>();
    // Its row in the placements table names where it is...
    EXPECT_TRUE(std::regex_search(
        dom, std::regex("<tr data-component=\"" + name + "\"><td>" + name + "</td><td[^>]*>" +
                        escaped(c["placement"].get<std::string>()) + "</td>")))
        << name << "\n"
        << dom;
    // ...and each of its hosts is drawn holding it.
    for (const json& home : c["homes"]) {
      const std::string host = home["host"].get<std::string>();
      const std::string box = host_box(dom, host);
      EXPECT_TRUE(contains(box, "data-component=\"" + name + "\""))
          << name << " is not drawn on " << host << ": " << box;
    }
  }
  // The decision log shows the move, as the API has it.
  const json decisions = api("/api/decisions");
  bool shown = false;
  for (const json& d : decisions["decisions"]) {
    if (d["from"].get<std::string>().empty()) continue;
    shown = shown ||
            contains(dom, "data-kind=\"" + d["kind"].get<std::string>() + "\" data-component=\"" +
                              d["component"].get<std::string>() + "\"");
  }
  EXPECT_TRUE(shown) << dom;

  // A screenshot, for people: the guide shows one (docs/img/dashboard.png).
  std::vector<std::string> args = browser;
  const std::string shot = std::filesystem::current_path().string() + "/dashboard.png";
  args.insert(args.end(),
              {"--hide-scrollbars", "--window-size=1400,2400", "--screenshot=" + shot, url});
  ASSERT_EQ(run_to_end(args, dir_ + "/out", dir_ + "/chromium.log"), 0)
      << read_file(dir_ + "/chromium.log");
  EXPECT_GT(std::filesystem::file_size(shot), 10'000u);
  std::printf("dashboard screenshot: %s\n", shot.c_str());
}

}  // namespace
}  // namespace hatch::test

// The dashboard's JSON API over a source whose answers the test sets: what each view says of
// placements, homes, nodes, the call graph, the learner and the decision log, with learning on
// and off, and what a bad query gets. Served over loopback by the real HTTP server.
#include "ops/dashboard.hpp"

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "ops/http_server.hpp"

namespace hatch::ops {
namespace {

using nlohmann::json;

class FakeSource final : public DashboardSource {
 public:
  Design design;
  std::vector<DashboardNode> node_list;
  std::optional<AutopilotStatus> status;
  std::vector<AutopilotWindow> window_list;
  std::vector<AutopilotDecision> decision_list;

  Design placements() const override { return design; }
  std::vector<DashboardNode> nodes() const override { return node_list; }
  std::optional<AutopilotStatus> learner() const override { return status; }
  std::vector<AutopilotWindow> windows(std::uint64_t after) const override {
    std::vector<AutopilotWindow> out;
    for (const auto& w : window_list) {
      if (w.index > after) out.push_back(w);
    }
    return out;
  }
  std::optional<AutopilotWindow> last_window() const override {
    if (window_list.empty()) return std::nullopt;
    return window_list.back();
  }
  std::vector<AutopilotDecision> decisions(std::size_t after) const override {
    std::vector<AutopilotDecision> out;
    for (const auto& d : decision_list) {
      if (d.index > after) out.push_back(d);
    }
    return out;
  }
  std::string describe(const Design& d) const override {
    std::string out;
    for (const auto& [name, p] : d) out += (out.empty() ? "" : " ") + name + "=" + p.to_string();
    return out;
  }
  double uptime_seconds() const override { return 12.5; }
};

json get_json(const std::string& address, const std::string& target) {
  web::HttpClient client(address);
  const web::HttpReply reply = client.request("GET", target);
  EXPECT_EQ(reply.status, 200) << target << ": " << reply.body;
  EXPECT_EQ(reply.headers.at("content-type"), "application/json");
  return json::parse(reply.body);
}

class DashboardApi : public ::testing::Test {
 protected:
  void SetUp() override {
    source_->design["cache"] = Placement::sharded({"n1:1", "n2:2"});
    source_->design["ledger"] = Placement::replicated({"local", "n1:1"});
    source_->design["store"] = Placement::on("n2:2");
    source_->design["front"] = Placement::local();
    source_->node_list = {{"n1:1", true, "connected"}, {"n2:2", false, "disconnected"}};
  }
  std::shared_ptr<FakeSource> source_ = std::make_shared<FakeSource>();
};

TEST_F(DashboardApi, PlacementsNameEveryHomeWithItsRole) {
  HttpServer server("127.0.0.1:0", dashboard_routes(source_));
  const json p = get_json(server.address(), "/api/placements");
  ASSERT_EQ(p["components"].size(), 4u);
  const json& cache = p["components"][0];
  EXPECT_EQ(cache["name"], "cache");
  EXPECT_EQ(cache["placement"], "sharded{n1:1,n2:2}");
  EXPECT_EQ(cache["homes"], json::parse(R"([{"host":"n1:1","role":"shard 0"},
                                             {"host":"n2:2","role":"shard 1"}])"));
  EXPECT_EQ(p["components"][1]["homes"], json::parse(R"([{"host":"origin","role":"home"}])"));
  EXPECT_EQ(p["components"][2]["homes"], json::parse(R"([{"host":"origin","role":"primary"},
                                                         {"host":"n1:1","role":"replica"}])"));
  EXPECT_EQ(p["components"][3]["homes"], json::parse(R"([{"host":"n2:2","role":"home"}])"));
}

TEST_F(DashboardApi, NodesSayWhetherConnectedAndWhatEachHosts) {
  HttpServer server("127.0.0.1:0", dashboard_routes(source_));
  const json n = get_json(server.address(), "/api/nodes");
  EXPECT_EQ(n["origin"]["components"], json::parse(R"(["front","ledger"])"));
  ASSERT_EQ(n["nodes"].size(), 2u);
  EXPECT_EQ(n["nodes"][0], json::parse(R"({"address":"n1:1","connected":true,"health":"connected",
                                            "components":["cache","ledger"]})"));
  EXPECT_EQ(n["nodes"][1],
            json::parse(R"({"address":"n2:2","connected":false,"health":"disconnected",
                                            "components":["cache","store"]})"));
}

TEST_F(DashboardApi, WithoutALearnerTheViewsSaySoAndStillShowTheProgram) {
  HttpServer server("127.0.0.1:0", dashboard_routes(source_));
  const json o = get_json(server.address(), "/api/overview");
  EXPECT_EQ(o["learning"], false);
  EXPECT_EQ(o["phase"], "not learning");
  EXPECT_EQ(o["components"], 4);
  EXPECT_EQ(o["nodes"], 2);
  EXPECT_EQ(o["design"], source_->describe(source_->design));
  const json l = get_json(server.address(), "/api/learner");
  EXPECT_TRUE(l["status"].is_null());
  EXPECT_TRUE(l["windows"].empty());
  EXPECT_TRUE(get_json(server.address(), "/api/decisions")["decisions"].empty());
  const json g = get_json(server.address(), "/api/graph");
  EXPECT_EQ(g["window"], 0);
  EXPECT_EQ(g["components"].size(), 4u);
  EXPECT_TRUE(g["edges"].empty());
}

TEST_F(DashboardApi, TheLearnerTheGraphAndTheDecisionLogComeFromItsWindows) {
  AutopilotStatus status;
  status.learning = true;
  status.phase = "exploring cache";
  status.windows = 2;
  status.incumbent = {{"cache", Placement::on("n1:1")}};
  source_->status = status;
  for (std::uint64_t i = 1; i <= 2; ++i) {
    AutopilotWindow w;
    w.index = i;
    w.seconds = 2;
    w.reward = 0.5 * static_cast<double>(i);
    w.probe = i == 2;
    w.calls = {{"", "front", 300, 150.0}, {"front", "cache", 0, 0}};
    source_->window_list.push_back(w);
  }
  AutopilotDecision move;
  move.index = 1;
  move.window = 2;
  move.kind = "probe";
  move.component = "cache";
  move.from = "local";
  move.to = "on(n1:1)";
  move.reward_after = -1;
  source_->decision_list = {move};
  HttpServer server("127.0.0.1:0", dashboard_routes(source_));

  const json l = get_json(server.address(), "/api/learner?after=1");
  EXPECT_EQ(l["status"]["phase"], "exploring cache");
  EXPECT_EQ(l["status"]["incumbent"], "cache=on(n1:1)");
  ASSERT_EQ(l["windows"].size(), 1u);
  EXPECT_EQ(l["windows"][0]["index"], 2);
  EXPECT_EQ(l["windows"][0]["probe"], true);
  EXPECT_EQ(l["windows"][0]["reward"], 1.0);

  const json g = get_json(server.address(), "/api/graph");
  EXPECT_EQ(g["window"], 2);
  ASSERT_EQ(g["edges"].size(), 1u);  // an edge without calls is left out
  EXPECT_EQ(g["edges"][0], json::parse(R"({"caller":"","callee":"front","calls":300,
                                            "calls_per_s":150.0,"mean_ms":0.5})"));

  const json d = get_json(server.address(), "/api/decisions");
  ASSERT_EQ(d["decisions"].size(), 1u);
  EXPECT_EQ(d["decisions"][0]["kind"], "probe");
  EXPECT_EQ(d["decisions"][0]["to"], "on(n1:1)");
  EXPECT_EQ(d["decisions"][0]["text"], move.to_string());
  EXPECT_TRUE(get_json(server.address(), "/api/decisions?after=1")["decisions"].empty());
}

TEST_F(DashboardApi, TheEmbeddedPageAndABadQuery) {
  HttpServer server("127.0.0.1:0", dashboard_routes(source_));
  web::HttpClient page(server.address());
  const web::HttpReply html = page.request("GET", "/");
  EXPECT_EQ(html.status, 200);
  EXPECT_EQ(html.headers.at("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(html.body.find("<svg id=\"graph\""), std::string::npos) << html.body;
  web::HttpClient script(server.address());
  const web::HttpReply js = script.request("GET", "/dashboard.js");
  EXPECT_EQ(js.headers.at("content-type"), "text/javascript; charset=utf-8");
  EXPECT_NE(js.body.find("api/placements"), std::string::npos);
  web::HttpClient bad(server.address());
  const web::HttpReply reply = bad.request("GET", "/api/decisions?after=-1");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "bad request: 'after' must be a whole number, not '-1'\n");
}

}  // namespace
}  // namespace hatch::ops

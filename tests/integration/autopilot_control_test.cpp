// Steering the autopilot from the program: pause and measure, pin, freeze, and what a failed
// move leaves behind, on a real node and one address where nothing listens.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cluster_test.hpp"
#include "core/metrics.hpp"
#include "hatch/autopilot.hpp"
#include "hatch/hatch.hpp"
#include "http_client.hpp"
#include "metrics_text.hpp"
#include "node_process.hpp"
#include "ops/http_server.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

constexpr std::chrono::seconds kBound{120};  // only a hang takes this long

class AutopilotControl : public ClusterTest {
 protected:
  // The origin's options, with `nodes` to learn over.
  Options over(std::vector<std::string> nodes) {
    Options o = options();
    o.nodes = std::move(nodes);
    return o;
  }
};

// Calls `counts` from its own thread (outside any component: entry calls) until destroyed;
// counts the adds acknowledged.
class Load {
 public:
  explicit Load(Ref<Counts> counts) : counts_(std::move(counts)) {
    thread_ = std::thread([this] {
      for (std::int64_t i = 0; !stop_; ++i) {
        counts_->add("k" + std::to_string(i % 50), 1);
        ++acknowledged_;
        if (report_) report_(std::chrono::milliseconds(2));
      }
    });
  }
  ~Load() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::int64_t acknowledged() const { return acknowledged_; }
  std::function<void(std::chrono::nanoseconds)> report_;

 private:
  Ref<Counts> counts_;
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> acknowledged_{0};
  std::thread thread_;
};

TEST_F(AutopilotControl, PauseMeasurePinFreezeAndFailedMovesLeaveTheProgramOnItsIncumbent) {
  NodeProcess a(secret_.path());
  const std::string nowhere = "127.0.0.1:1";  // nothing listens: every move there fails
  // No heartbeats: the address where nothing listens stays a member, for probes to fail on.
  Options learning = over({a.address(), nowhere});
  learning.heartbeat_interval = std::chrono::milliseconds(0);
  Origin origin(Catalog::program(), learning);
  Ref<Counts> counts = origin.get<Counts>("counts");
  Load load(counts);
  Autopilot pilot(origin, quick_learning());

  // Learning explores until a probe that needs the dead address has failed.
  std::uint64_t seen = 0;
  bool failed = false;
  while (!failed && seen < 200) {
    ASSERT_TRUE(pilot.wait_for_window(seen + 1, kBound));
    seen = pilot.windows().back().index;
    for (const AutopilotDecision& d : pilot.decisions()) failed |= d.kind == "move failed";
  }
  ASSERT_TRUE(failed) << "no move to " << nowhere << " was tried";
  for (const AutopilotDecision& d : pilot.decisions()) {
    if (d.kind == "move failed") {
      EXPECT_NE(d.to.find(nowhere), std::string::npos) << d.to_string();
    }
  }
  std::size_t predicted = 0;
  for (const AutopilotWindow& w : pilot.windows()) {
    EXPECT_EQ(w.design.at("counts").to_string().find(nowhere), std::string::npos)
        << "window " << w.index << " ran " << describe_design(w.design);
    predicted += w.learning && w.twin_ms && *w.twin_ms > 0;
  }
  // The twin (on by default) predicts the windows after its first, although the program's
  // entry calls come from no component: the twin models that outside as one.
  EXPECT_GT(predicted, 0u);

  // Paused: no learning window ends, and measure() runs a design the program chooses.
  EXPECT_THROW(pilot.measure({{"counts", Placement::local()}}, 0.1), UsageError);
  EXPECT_THROW(pilot.twin_optimum(), UsageError);
  pilot.pause();
  EXPECT_TRUE(pilot.status().paused);
  // The twin's predicted optimum places every component the autopilot places, within its space.
  const std::optional<Design> optimum = pilot.twin_optimum();
  ASSERT_TRUE(optimum);
  ASSERT_EQ(optimum->count("counts"), 1u);
  const std::uint64_t learned = pilot.status().windows;
  // A design that moves counts, wherever the last window left it (a probe cut short stays
  // until the next window rolls it back).
  const bool here = counts.binding() == Binding::local();
  const Placement elsewhere = here ? Placement::on(a.address()) : Placement::local();
  const AutopilotWindow m = pilot.measure({{"counts", elsewhere}}, 0.2);
  EXPECT_FALSE(m.learning);
  EXPECT_EQ(m.design.at("counts"), elsewhere);
  EXPECT_EQ(counts.binding(), here ? Binding::remote(a.address()) : Binding::local());
  EXPECT_GT(m.requests_per_s, 0);
  EXPECT_EQ(pilot.status().windows, learned);
  EXPECT_THROW(pilot.measure({{"ghost", Placement::local()}}, 0.1), UsageError);
  pilot.resume();

  // Pinned: from the window after the one in progress, counts runs where it is pinned.
  EXPECT_THROW(pilot.pin("ghost", Placement::local()), UsageError);
  EXPECT_THROW(pilot.pin("counts", Placement::replicated({a.address(), "local"})), UsageError);
  pilot.pin("counts", Placement::local());
  std::uint64_t from = pilot.windows().back().index + 2;
  ASSERT_TRUE(pilot.wait_for_window(from + 5, kBound));
  for (const AutopilotWindow& w : pilot.windows(from - 1)) {
    EXPECT_EQ(w.design.at("counts"), Placement::local()) << "window " << w.index;
  }
  EXPECT_EQ(pilot.status().pins.at("counts"), Placement::local());

  // Frozen: only the incumbent runs.
  pilot.unpin("counts");
  pilot.freeze();
  from = pilot.windows().back().index + 2;
  ASSERT_TRUE(pilot.wait_for_window(from + 5, kBound));
  for (const AutopilotWindow& w : pilot.windows(from - 1)) {
    EXPECT_FALSE(w.probe) << "window " << w.index;
  }
  EXPECT_TRUE(pilot.status().frozen);
  std::set<std::string> kinds;
  for (const AutopilotDecision& d : pilot.decisions()) kinds.insert(d.kind);
  for (const char* kind : {"move failed", "measure", "pin", "unpin", "freeze"}) {
    EXPECT_EQ(kinds.count(kind), 1u) << "no '" << kind << "' in the decision log";
  }

  pilot.stop();
  load.stop();
  // Every acknowledged add reached the counts, through every move.
  EXPECT_EQ(counts->total(), load.acknowledged());
}

TEST_F(AutopilotControl, WithReportedEntryTheRewardReadsWhatTheProgramReports) {
  NodeProcess a(secret_.path());
  Origin origin(Catalog::program(), over({a.address()}));
  Ref<Counts> counts = origin.get<Counts>("counts");
  AutopilotOptions o = quick_learning();
  o.entry = "reported";
  Autopilot pilot(origin, o);
  Load load(counts);
  load.report_ = [&](std::chrono::nanoseconds latency) { pilot.report(latency); };
  ASSERT_TRUE(pilot.wait_for_window(4, kBound));
  load.stop();
  pilot.stop();
  // Every reported request took 2 ms; the calls into counts took microseconds. (A window cut
  // short by the guard rail reports the guard's bound instead.)
  std::size_t measured = 0;
  for (const AutopilotWindow& w : pilot.windows()) {
    if (w.requests_per_s == 0 || w.cut_short) continue;
    ++measured;
    // Not exactly: a window that ends while a value is recorded may count it in one window
    // and its sum in the next (perception/latency_histogram.hpp), a part in a million.
    EXPECT_NEAR(w.mean_ms, 2.0, 1e-3) << "window " << w.index;
  }
  EXPECT_GT(measured, 0u);
}

TEST_F(AutopilotControl, TheLearnerIsCountedInTheOriginsMetrics) {
  NodeProcess a(secret_.path());
  Options options = over({a.address()});
  options.metrics = std::make_shared<internal::Metrics>();
  ops::HttpServer server("127.0.0.1:0", ops::metrics_routes(options.metrics));
  Origin origin(Catalog::program(), options);
  Ref<Counts> counts = origin.get<Counts>("counts");
  Autopilot pilot(origin, quick_learning());
  Load load(counts);
  ASSERT_TRUE(pilot.wait_for_window(4, kBound));
  load.stop();
  pilot.stop();
  const AutopilotStatus status = pilot.status();
  web::HttpClient client(server.address());
  const std::string text = client.request("GET", "/metrics").body;
  EXPECT_EQ(sample(text, "hatch_learner_windows_total"), status.windows) << text;
  EXPECT_EQ(sample(text, "hatch_learner_explored_windows_total"), status.exploring_windows);
  EXPECT_NEAR(sample(text, "hatch_learner_incumbent_reward").value_or(-1), status.incumbent_reward,
              1e-9);
  EXPECT_EQ(sample(text, R"(hatch_learner_phase{phase=")" + status.phase + R"("})"), 1);
}

TEST_F(AutopilotControl, AnUnusableStateFileOrAPlacementOutsideTheSpaceDoesNotStopLearning) {
  NodeProcess a(secret_.path());
  // Counts is keyed and can shard, so its space offers sharded sets, not replicated ones.
  Options placed = over({a.address()});
  placed.placements["counts"] = "replicated{" + a.address() + ",local}";
  Origin origin(Catalog::program(), placed);
  Ref<Counts> counts = origin.get<Counts>("counts");
  ASSERT_EQ(counts.binding().kind, Binding::Kind::replicated);
  const std::string state = "/tmp/hatch-autopilot-state-" + std::to_string(::getpid()) + ".json";
  std::ofstream(state) << "{ not json";
  AutopilotOptions o = quick_learning();
  o.state_file = state;
  Load load(counts);
  Autopilot pilot(origin, o);
  ASSERT_TRUE(pilot.wait_for_window(3, kBound));
  // It moved counts into its space (to the origin) before its first window, and said why.
  EXPECT_EQ(pilot.windows().front().index, 1u);
  EXPECT_EQ(pilot.windows().front().design.at("counts"), Placement::local());
  bool outside = false, unusable = false;
  for (const AutopilotDecision& d : pilot.decisions()) {
    if (d.kind != "restore") continue;
    outside |= d.why.find("outside the design space") != std::string::npos;
    unusable |= d.why.find("is not a state this program wrote") != std::string::npos;
  }
  EXPECT_TRUE(outside);
  EXPECT_TRUE(unusable);
  pilot.stop();
  load.stop();
  EXPECT_TRUE(pilot.status().error.empty()) << pilot.status().error;
  // The file was written anew, as a state the next start can read.
  std::ifstream in(state);
  EXPECT_EQ(nlohmann::json::parse(in).at("version").get<int>(), 1);
  std::remove(state.c_str());
  std::remove((state + ".tmp").c_str());
  EXPECT_EQ(counts->total(), load.acknowledged());
}

}  // namespace
}  // namespace hatch::test

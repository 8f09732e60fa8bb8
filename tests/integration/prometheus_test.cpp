// A real Prometheus server (Debian's `prometheus`, on loopback, started and reaped by the test)
// scrapes the origin and two node processes while the program calls a component on one node,
// moves it to the other under load, and calls it there. Its HTTP API must then hold the exact
// per-method call counts of the origin's remote edge to the component, the one move, and a
// live series from each node. metrics_test.cpp reads the /metrics pages itself; this test
// checks what an operator actually sees: that Prometheus accepts the exposition, labels each
// process's series by its target, and stores each counter at its exact value. It skips, saying
// why, only where the `prometheus` package is not installed.
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cluster_test.hpp"
#include "core/metrics.hpp"
#include "hatch/hatch.hpp"
#include "http_client.hpp"
#include "node_process.hpp"
#include "ops/http_server.hpp"
#include "prometheus_process.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

using Prometheus = ClusterTest;
using nlohmann::json;

// How often Prometheus scrapes each target. Short, so that the test waits little for a scrape;
// not shorter, because the scrape timeout is the same and a busy machine (the sanitizer build)
// must answer within it.
constexpr std::chrono::milliseconds kScrapeInterval{500};
// How long the test waits for Prometheus to be ready or to scrape, which only a hang takes.
constexpr std::chrono::seconds kPatience{60};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string url_encode(const std::string& text) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// Prometheus's HTTP API, one connection per request.
class PrometheusApi {
 public:
  explicit PrometheusApi(std::string address) : address_(std::move(address)) {}

  // Whether GET /-/ready answers 200: the server has opened its database and scrapes.
  bool ready() const {
    try {
      web::HttpClient client(address_);
      return client.request("GET", "/-/ready").status == 200;
    } catch (const std::exception&) {
      return false;
    }
  }

  // The `result` of the instant query `promql` at the present time: an array of series, each
  // {"metric": {labels}, "value": [time, "value"]} (or "values": [...] for a range selector).
  // Throws std::runtime_error with Prometheus's answer when the query fails.
  json query(const std::string& promql) const {
    web::HttpClient client(address_);
    const web::HttpReply reply = client.request("GET", "/api/v1/query?query=" + url_encode(promql));
    const json answer = json::parse(reply.body, nullptr, false);
    if (reply.status != 200 || answer.is_discarded() || answer.value("status", "") != "success") {
      throw std::runtime_error("query " + promql + " answered " + std::to_string(reply.status) +
                               ": " + reply.body);
    }
    return answer["data"]["result"];
  }

  // The value of the one series `promql` selects; nullopt when it selects none. Throws when it
  // selects several.
  std::optional<double> value(const std::string& promql) const {
    const json result = query(promql);
    if (result.empty()) return std::nullopt;
    if (result.size() > 1) {
      throw std::runtime_error("query " + promql + " selects several series: " + result.dump());
    }
    return std::stod(result[0]["value"][1].get<std::string>());
  }

 private:
  std::string address_;
};

// Waits until Prometheus holds a successful scrape of every one of `targets` that started
// after `after_ms` (milliseconds since the epoch, by this machine's clock, which Prometheus
// stamps its samples with). Returns "" then, or what it holds after kPatience.
std::string wait_for_scrapes(PrometheusProcess& prometheus, const PrometheusApi& api,
                             const std::vector<std::string>& targets, std::int64_t after_ms) {
  const auto give_up = std::chrono::steady_clock::now() + kPatience;
  for (;;) {
    // A range selector gives the raw samples with the times they were scraped at; `up` gets one
    // per scrape, 1 when the scrape succeeded.
    const json result = api.query(R"(up{job="hatch"}[1m])");
    std::set<std::string> fresh;
    for (const json& series : result) {
      const json& last = series["values"].back();
      const auto scraped_ms = std::llround(last[0].get<double>() * 1000);
      // Prometheus may stamp a scrape up to a few milliseconds after it started, to keep the
      // timestamps evenly spaced; the margin leaves no doubt that it started after `after_ms`.
      if (scraped_ms > after_ms + 20 && last[1].get<std::string>() == "1") {
        fresh.insert(series["metric"].value("instance", ""));
      }
    }
    bool all = true;
    for (const std::string& target : targets) all = all && fresh.count(target) > 0;
    if (all) return {};
    if (!prometheus.await_activity(give_up)) {
      return "Prometheus scraped not every target successfully after " + std::to_string(after_ms) +
             " within " + std::to_string(kPatience.count()) + " s; up holds " + result.dump();
    }
  }
}

TEST_F(Prometheus, StoresExactCallCountsAndAMoveScrapedFromTheOriginAndTwoNodes) {
  const std::string program = PrometheusProcess::installed();
  if (program.empty()) {
    GTEST_SKIP() << "prometheus is not installed (Debian package `prometheus`; scripts/setup "
                    "installs it): this test needs a real Prometheus server to scrape the "
                    "origin and the nodes, so it did not run";
  }

  NodeProcess a(secret_.path(), "127.0.0.1:0", {"--hatch-http-listen", "127.0.0.1:0"});
  NodeProcess b(secret_.path(), "127.0.0.1:0", {"--hatch-http-listen", "127.0.0.1:0"});
  ASSERT_FALSE(a.metrics_address().empty()) << a.log();
  ASSERT_FALSE(b.metrics_address().empty()) << b.log();
  Options o = options();
  o.placements["ledger"] = a.address();
  o.metrics = std::make_shared<internal::Metrics>();
  ops::HttpServer origin_metrics("127.0.0.1:0", ops::metrics_routes(o.metrics));
  Origin origin(Catalog::program(), o);
  Ref<Ledger> ledger = origin.get<Ledger>("ledger");

  const std::string at_origin = origin_metrics.address();
  const std::string at_a = a.metrics_address();
  const std::string at_b = b.metrics_address();
  const std::vector<std::string> targets{at_origin, at_a, at_b};
  // Declared after the processes it scrapes, so that it stops first.
  PrometheusProcess prometheus(program, targets, kScrapeInterval);
  const PrometheusApi api(prometheus.address());
  const auto give_up = std::chrono::steady_clock::now() + kPatience;
  while (!api.ready()) {
    // It logs that it is ready, and writes its data from then on.
    ASSERT_TRUE(prometheus.await_activity(give_up))
        << "Prometheus was not ready within " << kPatience.count() << " s; it logged:\n"
        << prometheus.log();
  }
  // It scrapes all three before the load, and keeps scraping through it. The first scrapes come
  // about 5 s after the start: Prometheus 2.42 applies its targets on a fixed 5 s tick.
  ASSERT_EQ(wait_for_scrapes(prometheus, api, targets, now_ms()), "") << prometheus.log();

  // The series of the origin's calls to the ledger, as Prometheus stores them: the target is
  // `instance`, and `caller=""` (a call from outside any component) is no label at all.
  const auto calls = [&](const std::string& method) {
    return R"(hatch_calls_total{job="hatch",instance=")" + at_origin +
           R"(",caller="",callee="ledger",method=")" + method + R"(",where="remote"})";
  };

  // On node A.
  constexpr int kAddsOnA = 20;
  constexpr int kGetsOnA = 7;
  for (int i = 1; i <= kAddsOnA; ++i) ASSERT_EQ(ledger->add("k", 1), i);
  for (int i = 0; i < kGetsOnA; ++i) ASSERT_EQ(ledger->get("k"), kAddsOnA);
  ASSERT_EQ(wait_for_scrapes(prometheus, api, targets, now_ms()), "") << prometheus.log();
  EXPECT_EQ(api.value(calls("add")), kAddsOnA);
  EXPECT_EQ(api.value(calls("get")), kGetsOnA);
  EXPECT_EQ(api.query("hatch_transitions_total"), json::array()) << "no transition yet";

  // A move from A to B while another thread calls: each of its adds returns what it added
  // so far, so a lost or repeated add shows.
  std::atomic<std::int64_t> adds_during{0};
  std::atomic<bool> failed{false};
  std::string error;  // set before `failed`
  {
    std::jthread caller([&](std::stop_token stop) {
      try {
        while (!stop.stop_requested()) {
          const std::int64_t expected = adds_during.load() + 1;
          if (ledger->add("during", 1) != expected) throw std::runtime_error("a lost or extra add");
          adds_during.store(expected);
        }
      } catch (const std::exception& e) {
        error = e.what();
        failed.store(true);
      }
    });
    // The move starts once the caller is under way; it calls until the move is over.
    const auto stuck = std::chrono::steady_clock::now() + kPatience;
    while (adds_during.load() < 5 && !failed.load()) {
      ASSERT_LT(std::chrono::steady_clock::now(), stuck) << "the caller is stuck";
      std::this_thread::yield();
    }
    ASSERT_FALSE(failed.load()) << error;
    const TransitionReport moved = origin.relocate("ledger", b.address());
    ASSERT_TRUE(moved.ok) << moved.to_string();
  }  // the caller stops and is joined
  ASSERT_EQ(error, "");
  ASSERT_EQ(ledger.binding(), Binding::remote(b.address()));

  // On node B.
  constexpr int kAddsOnB = 9;
  constexpr int kGetsOnB = 3;
  for (int i = 1; i <= kAddsOnB; ++i) ASSERT_EQ(ledger->add("k", 1), kAddsOnA + i);
  for (int i = 0; i < kGetsOnB - 1; ++i) ASSERT_EQ(ledger->get("k"), kAddsOnA + kAddsOnB);
  ASSERT_EQ(ledger->get("during"), adds_during.load());  // the last get: none was lost
  ASSERT_EQ(wait_for_scrapes(prometheus, api, targets, now_ms()), "") << prometheus.log();

  // Every target is up, and no other.
  const json up = api.query(R"(up{job="hatch"})");
  std::set<std::string> instances;
  for (const json& series : up) {
    instances.insert(series["metric"]["instance"].get<std::string>());
    EXPECT_EQ(series["value"][1], "1") << series.dump();
  }
  EXPECT_EQ(instances, std::set<std::string>(targets.begin(), targets.end())) << up.dump();

  // Calls are counted once per try: a call the old home answered `moved` while the ledger was
  // on its way is counted as that error, and counted again when it is sent to the new home.
  // No call failed in any other way.
  EXPECT_EQ(api.query(R"(hatch_call_errors_total{job="hatch",status!="moved"})"), json::array());
  const double moved_adds =
      api.value(R"(hatch_call_errors_total{job="hatch",instance=")" + at_origin +
                R"(",caller="",callee="ledger",method="add",where="remote",status="moved"})")
          .value_or(0);
  EXPECT_EQ(api.value(calls("add")), kAddsOnA + kAddsOnB + adds_during.load() + moved_adds);
  EXPECT_EQ(api.value(calls("get")), kGetsOnA + kGetsOnB);
  EXPECT_EQ(api.value(R"(sum(hatch_transitions_total{job="hatch",kind="move",outcome="ok"}))"), 1);
  EXPECT_EQ(api.value(R"(sum(hatch_transitions_total{job="hatch"}))"), 1) << "nothing else";
  EXPECT_EQ(api.value(R"(hatch_transition_pause_seconds_count{job="hatch",kind="move"})"), 1);

  // Each node's own series are there under its own instance: the origin's connection to it,
  // and at least a frame for each call it served.
  for (const auto& [at, served] :
       {std::pair{at_a, kAddsOnA + kGetsOnA}, std::pair{at_b, kAddsOnB + kGetsOnB}}) {
    const std::string node = R"(job="hatch",instance=")" + at + R"(")";
    EXPECT_GE(api.value("hatch_connections_opened_total{" + node + "}").value_or(0), 1) << at;
    EXPECT_GE(api.value("hatch_frames_total{" + node + R"(,direction="received"})").value_or(0),
              served)
        << at;
  }
  std::printf("adds from the second thread, around the move: %lld; answered `moved`: %g\n",
              static_cast<long long>(adds_during.load()), moved_adds);
}

}  // namespace
}  // namespace hatch::test

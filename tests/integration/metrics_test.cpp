// GET /metrics on the origin and on a node process, during remote calls and a move: the counts
// are exact.
#include <unistd.h>

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "cluster_test.hpp"
#include "core/metrics.hpp"
#include "hatch/hatch.hpp"
#include "http_client.hpp"
#include "metrics_text.hpp"
#include "node_process.hpp"
#include "ops/http_server.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

using Metrics = ClusterTest;

std::string scrape(const std::string& address) {
  web::HttpClient client(address);
  const web::HttpReply reply = client.request("GET", "/metrics");
  EXPECT_EQ(reply.status, 200) << reply.body;
  return reply.body;
}

TEST_F(Metrics, CountsRemoteCallsAMoveAndConnectionsExactly) {
  NodeProcess node(secret_.path(), "127.0.0.1:0", {"--hatch-http-listen", "127.0.0.1:0"});
  const std::string node_metrics = node.metrics_address();
  ASSERT_FALSE(node_metrics.empty()) << node.log();

  Options o = options();
  o.placements["ledger"] = node.address();
  o.metrics = std::make_shared<internal::Metrics>();
  ops::HttpServer origin_metrics("127.0.0.1:0", ops::metrics_routes(o.metrics));
  Origin origin(Catalog::program(), o);
  Ref<Ledger> ledger = origin.get<Ledger>("ledger");
  for (int i = 1; i <= 25; ++i) ASSERT_EQ(ledger->add("k", 1), i);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(ledger->get("k"), 25);
  const TransitionReport moved = origin.relocate("ledger", "local");
  ASSERT_TRUE(moved.ok) << moved.to_string();
  EXPECT_EQ(ledger->add("k", 1), 26);  // local now: not a remote call

  const std::string at_origin = scrape(origin_metrics.address());
  const auto series = [](const std::string& name, const std::string& method) {
    return name + R"({callee="ledger",caller="",method=")" + method + R"(",where="remote"})";
  };
  EXPECT_EQ(sample(at_origin, series("hatch_calls_total", "add")), 25) << at_origin;
  EXPECT_EQ(sample(at_origin, series("hatch_calls_total", "get")), 5);
  EXPECT_EQ(sample(at_origin, series("hatch_call_latency_seconds_count", "add")), 25);
  // add("k", 1) packs as [ "k", 1 ]: 4 bytes of msgpack.
  EXPECT_EQ(sample(at_origin, series("hatch_call_request_bytes_total", "add")), 25 * 4);
  EXPECT_EQ(at_origin.find("hatch_call_errors_total{"), std::string::npos) << at_origin;
  EXPECT_EQ(sample(at_origin, R"(hatch_transitions_total{kind="move",outcome="ok"})"), 1);
  EXPECT_EQ(sample(at_origin, R"(hatch_transition_pause_seconds_count{kind="move"})"), 1);
  EXPECT_EQ(sample(at_origin, "hatch_connections"), 1);
  EXPECT_EQ(sample(at_origin, "hatch_connections_opened_total"), 1);

  // A peer that does not prove the secret is refused, and counted; the node hangs up on it
  // after counting it.
  send_garbage(node.address());
  // A client that sends half a request and waits holds up no scrape, and a malformed request
  // is answered 400.
  const int slow = connect_raw(node_metrics);
  ASSERT_EQ(::write(slow, "GET /me", 7), 7);
  const int bad = connect_raw(node_metrics);
  ASSERT_EQ(::write(bad, "NOT HTTP\r\n\r\n", 12), 12);
  char head[12] = {};
  ASSERT_EQ(::read(bad, head, sizeof head), static_cast<ssize_t>(sizeof head));
  EXPECT_EQ(std::string(head, sizeof head), "HTTP/1.1 400");
  ::close(bad);
  const std::string at_node = scrape(node_metrics);
  ::close(slow);
  EXPECT_EQ(sample(at_node, "hatch_connections"), 1) << at_node;
  EXPECT_EQ(sample(at_node, "hatch_connections_opened_total"), 1);
  EXPECT_EQ(sample(at_node, R"(hatch_refused_peers_total{reason="handshake"})"), 1);
  // Every request the origin sent the node was answered: the node received as many frames
  // as the origin sent, and the other way round.
  EXPECT_EQ(sample(at_node, R"(hatch_frames_total{direction="received"})"),
            sample(at_origin, R"(hatch_frames_total{direction="sent"})"));
  EXPECT_GE(sample(at_node, R"(hatch_frames_total{direction="received"})").value_or(0), 30);
}

TEST_F(Metrics, CountsLocalCallsPerMethodWithTheirCallerOnceScraped) {
  NodeProcess node(secret_.path());
  Options o = options();
  o.metrics = std::make_shared<internal::Metrics>();
  ops::HttpServer origin_metrics("127.0.0.1:0", ops::metrics_routes(o.metrics));
  Origin origin(Catalog::program(), o);
  Ref<LedgerClient> client = origin.get<LedgerClient>("ledger-client");
  Ref<Ledger> ledger = origin.get<Ledger>("ledger");
  ASSERT_EQ(client->add_via("k", 1), 1);  // nobody has scraped yet: not counted
  const std::string first = scrape(origin_metrics.address());
  EXPECT_EQ(first.find(R"(where="local")"), std::string::npos) << first;

  for (int i = 2; i <= 8; ++i) ASSERT_EQ(client->add_via("k", 1), i);
  origin.take_call_metrics();  // perception measures the next calls too
  for (int i = 9; i <= 10; ++i) ASSERT_EQ(client->add_via("k", 1), i);
  EXPECT_EQ(ledger->get("k"), 10);
  const std::string text = scrape(origin_metrics.address());
  const auto series = [](const std::string& callee, const std::string& caller,
                         const std::string& method) {
    return R"(hatch_calls_total{callee=")" + callee + R"(",caller=")" + caller + R"(",method=")" +
           method + R"(",where="local"})";
  };
  EXPECT_EQ(sample(text, series("ledger-client", "", "add_via")), 9) << text;
  EXPECT_EQ(sample(text, series("ledger", "ledger-client", "add")), 9);
  EXPECT_EQ(sample(text, series("ledger", "", "get")), 1);
  EXPECT_EQ(text.find(R"(hatch_calls_total{callee="ledger",caller="",method="add")"),
            std::string::npos);

  // A counted component moves away and back with its state; its calls are counted as remote,
  // then as local again.
  ASSERT_TRUE(origin.relocate("ledger", node.address()).ok);
  ASSERT_EQ(client->add_via("k", 1), 11);
  ASSERT_TRUE(origin.relocate("ledger", "local").ok);
  ASSERT_EQ(client->add_via("k", 1), 12);
  const std::string moved = scrape(origin_metrics.address());
  EXPECT_EQ(sample(moved, series("ledger", "ledger-client", "add")), 10) << moved;
  EXPECT_EQ(sample(moved, R"(hatch_calls_total{callee="ledger",caller="ledger-client",)"
                          R"(method="add",where="remote"})"),
            1)
      << moved;
}

}  // namespace
}  // namespace hatch::test

// GET /metrics: what the server answers, and what a malformed request, a slow client and a crowd
// get, over loopback.
#include "ops/metrics_server.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/metrics.hpp"
#include "hatch/error.hpp"
#include "http_client.hpp"
#include "metrics_text.hpp"
#include "node_process.hpp"

namespace hatch::ops {
namespace {

using std::chrono::milliseconds;

// Reads from `fd` until the other end closes it; returns what came. Gives up after a minute,
// which only a hang takes.
std::string read_until_closed(int fd) {
  timeval minute{60, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &minute, sizeof minute);
  std::string got;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

void send_all(int fd, const std::string& bytes) {
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
}

web::HttpReply get(const std::string& address, const std::string& target = "/metrics") {
  web::HttpClient client(address);
  return client.request("GET", target);
}

TEST(MetricsServerTest, ServesWhatWasRecordedInTheTextFormat) {
  auto metrics = std::make_shared<internal::Metrics>();
  MetricsServer server(metrics, "127.0.0.1:0");
  metrics->transition("move", "ok", std::chrono::microseconds(1500));
  metrics->refused_peer("handshake");
  internal::Metrics::Call call;
  call.callee = "kv";
  call.method = "put";
  call.took = std::chrono::microseconds(80);
  call.request_bytes = 10;
  call.reply_bytes = 1;
  metrics->call(call);
  call.status = StatusCode::deadline_exceeded;
  call.reply_bytes = 0;
  metrics->call(call);

  const web::HttpReply reply = get(server.address());
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.headers.at("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = reply.body;
  const std::string edge = R"(callee="kv",caller="",method="put",where="remote")";
  EXPECT_EQ(test::sample(text, "hatch_calls_total{" + edge + "}"), 2);
  EXPECT_EQ(test::sample(text, R"(hatch_call_errors_total{callee="kv",caller="",method="put",)"
                               R"(status="deadline_exceeded",where="remote"})"),
            1)
      << text;
  EXPECT_EQ(test::sample(text, "hatch_call_request_bytes_total{" + edge + "}"), 20);
  EXPECT_EQ(test::sample(text, "hatch_call_reply_bytes_total{" + edge + "}"), 1);
  EXPECT_EQ(test::sample(text, "hatch_call_latency_seconds_count{" + edge + "}"), 2);
  EXPECT_EQ(test::sample(text, R"(hatch_transitions_total{kind="move",outcome="ok"})"), 1);
  EXPECT_EQ(test::sample(text, R"(hatch_transition_pause_seconds_count{kind="move"})"), 1);
  EXPECT_EQ(test::sample(text, R"(hatch_refused_peers_total{reason="handshake"})"), 1);
  EXPECT_EQ(test::sample(text, "hatch_connections"), 0);
  EXPECT_NE(text.find("# TYPE hatch_call_latency_seconds histogram"), std::string::npos);
}

TEST(MetricsServerTest, AnswersOtherPathsAndMethodsWithTheirStatus) {
  MetricsServer server(std::make_shared<internal::Metrics>(), "127.0.0.1:0");
  EXPECT_EQ(get(server.address(), "/").status, 404);
  EXPECT_EQ(get(server.address(), "/metrics?x=1").status, 200);
  web::HttpClient client(server.address());
  EXPECT_EQ(client.request("POST", "/metrics", {}, "x").status, 405);
}

TEST(MetricsServerTest, AMalformedRequestGetsAClearErrorAndTheServerGoesOn) {
  MetricsServer server(std::make_shared<internal::Metrics>(), "127.0.0.1:0");
  const int fd = test::connect_raw(server.address());
  send_all(fd, "THIS IS NOT HTTP\r\n\r\n");
  const std::string answer = read_until_closed(fd);
  ::close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  EXPECT_NE(answer.find("bad request: "), std::string::npos) << answer;
  EXPECT_EQ(get(server.address()).status, 200);
}

TEST(MetricsServerTest, AnOversizedHeaderIsRefused) {
  MetricsServerLimits limits;
  limits.max_header_bytes = 1024;
  MetricsServer server(std::make_shared<internal::Metrics>(), "127.0.0.1:0", limits);
  const int fd = test::connect_raw(server.address());
  send_all(fd, "GET /metrics HTTP/1.1\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
  const std::string answer = read_until_closed(fd);
  ::close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
}

TEST(MetricsServerTest, ASlowClientIsClosedAtTheDeadlineAndHoldsUpNoOne) {
  MetricsServerLimits limits;
  limits.request_deadline = milliseconds(300);
  MetricsServer server(std::make_shared<internal::Metrics>(), "127.0.0.1:0", limits);
  const int slow = test::connect_raw(server.address());
  send_all(slow, "GET /metr");
  // While it dawdles, others are served...
  EXPECT_EQ(get(server.address()).status, 200);
  // ...and the server hangs up on it, unanswered, once its deadline has passed.
  EXPECT_EQ(read_until_closed(slow), "");
  ::close(slow);
  EXPECT_EQ(get(server.address()).status, 200);
}

TEST(MetricsServerTest, AClientOverTheCapIsClosedAtOnce) {
  MetricsServerLimits limits;
  limits.max_connections = 2;
  limits.request_deadline = std::chrono::minutes(5);  // the idle ones stay until closed
  MetricsServer server(std::make_shared<internal::Metrics>(), "127.0.0.1:0", limits);
  std::vector<int> idle{test::connect_raw(server.address()), test::connect_raw(server.address())};
  // Accepted in order: the third finds both places taken, and is closed long before the
  // deadline of the idle ones (read_until_closed would wait for it otherwise).
  const int third = test::connect_raw(server.address());
  EXPECT_EQ(read_until_closed(third), "");
  ::close(third);
  for (int fd : idle) ::close(fd);
}

TEST(MetricsServerTest, ABadAddressIsAUsageErrorThatNamesIt) {
  auto metrics = std::make_shared<internal::Metrics>();
  for (const std::string bad : {"nonsense", "127.0.0.1:99999", "127.0.0.1:", "300.1.2.3.4:80"}) {
    try {
      MetricsServer server(metrics, bad);
      ADD_FAILURE() << "listened on " << bad;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
  MetricsServer taken(metrics, "127.0.0.1:0");
  EXPECT_THROW((MetricsServer{metrics, taken.address()}), UsageError);
}

}  // namespace
}  // namespace hatch::ops

// GET /metrics: what the server answers, and what a malformed request, a slow client and a crowd
// get, over loopback.
#include "ops/http_server.hpp"

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

TEST(HttpServerTest, ServesWhatWasRecordedInTheTextFormat) {
  auto metrics = std::make_shared<internal::Metrics>();
  HttpServer server("127.0.0.1:0", metrics_routes(metrics));
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

TEST(HttpServerTest, AnswersOtherPathsAndMethodsWithTheirStatus) {
  HttpServer server("127.0.0.1:0", metrics_routes(std::make_shared<internal::Metrics>()));
  EXPECT_EQ(get(server.address(), "/").status, 404);
  EXPECT_EQ(get(server.address(), "/metrics?x=1").status, 200);
  web::HttpClient client(server.address());
  EXPECT_EQ(client.request("POST", "/metrics", {}, "x").status, 405);
}

TEST(HttpServerTest, AMalformedRequestGetsAClearErrorAndTheServerGoesOn) {
  HttpServer server("127.0.0.1:0", metrics_routes(std::make_shared<internal::Metrics>()));
  const int fd = test::connect_raw(server.address());
  send_all(fd, "THIS IS NOT HTTP\r\n\r\n");
  const std::string answer = read_until_closed(fd);
  ::close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  EXPECT_NE(answer.find("bad request: "), std::string::npos) << answer;
  EXPECT_EQ(get(server.address()).status, 200);
}

TEST(HttpServerTest, AnOversizedHeaderIsRefused) {
  HttpServerOptions limits;
  limits.max_header_bytes = 1024;
  HttpServer server("127.0.0.1:0", metrics_routes(std::make_shared<internal::Metrics>()), limits);
  const int fd = test::connect_raw(server.address());
  send_all(fd, "GET /metrics HTTP/1.1\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
  const std::string answer = read_until_closed(fd);
  ::close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
}

TEST(HttpServerTest, ASlowClientIsClosedAtTheDeadlineAndHoldsUpNoOne) {
  HttpServerOptions limits;
  limits.request_deadline = milliseconds(300);
  HttpServer server("127.0.0.1:0", metrics_routes(std::make_shared<internal::Metrics>()), limits);
  const int slow = test::connect_raw(server.address());
  send_all(slow, "GET /metr");
  // While it dawdles, others are served...
  EXPECT_EQ(get(server.address()).status, 200);
  // ...and the server hangs up on it, unanswered, once its deadline has passed.
  EXPECT_EQ(read_until_closed(slow), "");
  ::close(slow);
  EXPECT_EQ(get(server.address()).status, 200);
}

TEST(HttpServerTest, AClientOverTheCapIsClosedAtOnce) {
  HttpServerOptions limits;
  limits.max_connections = 2;
  limits.request_deadline = std::chrono::minutes(5);  // the idle ones stay until closed
  HttpServer server("127.0.0.1:0", metrics_routes(std::make_shared<internal::Metrics>()), limits);
  std::vector<int> idle{test::connect_raw(server.address()), test::connect_raw(server.address())};
  // Accepted in order: the third finds both places taken, and is closed long before the
  // deadline of the idle ones (read_until_closed would wait for it otherwise).
  const int third = test::connect_raw(server.address());
  EXPECT_EQ(read_until_closed(third), "");
  ::close(third);
  for (int fd : idle) ::close(fd);
}

TEST(HttpServerTest, ABadAddressIsAUsageErrorThatNamesIt) {
  auto metrics = std::make_shared<internal::Metrics>();
  for (const std::string bad : {"nonsense", "127.0.0.1:99999", "127.0.0.1:", "300.1.2.3.4:80"}) {
    try {
      HttpServer server(bad, metrics_routes(metrics));
      ADD_FAILURE() << "listened on " << bad;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
  HttpServer taken("127.0.0.1:0", metrics_routes(metrics));
  EXPECT_THROW((HttpServer{taken.address(), metrics_routes(metrics)}), UsageError);
}

TEST(HttpServerTest, OffLoopbackItRefusesToServeWithoutAToken) {
  try {
    HttpServer server("0.0.0.0:0", metrics_routes(std::make_shared<internal::Metrics>()));
    ADD_FAILURE() << "served on every address without a token";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("'0.0.0.0:0' is not a loopback address"),
              std::string::npos)
        << e.what();
  }
  HttpServerOptions options;
  options.token = "has spaces";
  EXPECT_THROW(HttpServer("127.0.0.1:0", {}, options), UsageError);
}

TEST(HttpServerTest, WithATokenEveryPathButHealthzNeedsIt) {
  HttpServerOptions options;
  options.token = "s3cret-token";
  HttpServer server("127.0.0.1:0", metrics_routes(std::make_shared<internal::Metrics>()), options);
  const web::HttpReply refused = get(server.address());
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.headers.at("www-authenticate"), "Bearer");
  EXPECT_EQ(get(server.address(), "/metrics?token=wrong").status, 401);
  EXPECT_EQ(get(server.address(), "/metrics?token=s3cret-toke").status, 401);
  EXPECT_EQ(get(server.address(), "/metrics?x=1&token=s3cret-token").status, 200);
  const auto bearing = [&](const std::string& credentials) {
    web::HttpClient client(server.address());
    return client.request("GET", "/metrics", {{"Authorization", credentials}}).status;
  };
  EXPECT_EQ(bearing("Bearer s3cret-token"), 200);
  EXPECT_EQ(bearing("Bearer s3cret-tokenX"), 401);
  EXPECT_EQ(bearing("s3cret-token"), 401);
  const web::HttpReply health = get(server.address(), "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
}

TEST(HttpServerTest, AHandlersErrorIsAnsweredWithItsMessage) {
  HttpRoutes routes;
  routes["/bad-query"] = [](const HttpRequest& req) -> HttpReply {
    throw UsageError("'after' must be a whole number, not '" + req.query_value("after").value() +
                     "'");
  };
  routes["/broken"] = [](const HttpRequest&) -> HttpReply { throw std::runtime_error("oops"); };
  routes["/echo"] = [](const HttpRequest& req) {
    return HttpReply{200, "text/plain", req.path + "|" + req.query_value("b").value_or("none")};
  };
  HttpServer server("127.0.0.1:0", std::move(routes));
  const web::HttpReply bad = get(server.address(), "/bad-query?after=x");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, "bad request: 'after' must be a whole number, not 'x'\n");
  const web::HttpReply broken = get(server.address(), "/broken");
  EXPECT_EQ(broken.status, 500);
  EXPECT_EQ(broken.body, "could not answer /broken: oops\n");
  EXPECT_EQ(get(server.address(), "/echo?a=1&b=2&c").body, "/echo|2");
  EXPECT_EQ(get(server.address(), "/echo?bb=1&b").body, "/echo|");
  EXPECT_EQ(get(server.address(), "/echo").body, "/echo|none");
  const web::HttpReply missing = get(server.address(), "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "not found: /nope; served: /bad-query /broken /echo\n");
}

}  // namespace
}  // namespace hatch::ops

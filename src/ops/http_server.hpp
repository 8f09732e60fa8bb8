// HttpServer: what a Hatch process shows of itself over HTTP, for operators and their tools:
// GET /metrics in the Prometheus text format on every process, and on the origin the
// dashboard and its JSON API (ops/dashboard.hpp). Each path is a handler given at construction.
//
//   auto metrics = std::make_shared<internal::Metrics>();
//   ops::HttpServer server("127.0.0.1:9464", ops::metrics_routes(metrics));
//   // curl http://127.0.0.1:9464/metrics
//
// One request per connection, answered and closed: a scraper or a dashboard asks once per
// interval, and a connection that lives no longer than one request is the simplest to bound.
// What a client can take is bounded: at most `max_connections` at once (one over is closed at
// once, unanswered), `request_deadline` to send its request and read the answer (then it is
// closed), and `max_header_bytes` of request. A malformed request is answered 400 with the
// reason, an unknown path 404, a method other than GET 405, a handler's exception 400 or 500.
// Nothing a client does blocks the process: the server runs on a thread of its own, every operation
// on it is asynchronous, and handlers only read state the process keeps (they never wait on I/O).
//
// Access: on a loopback address anyone on the host may read, as with a local debugger. On any
// other address a token is required (the constructor refuses to listen without one), sent as
// `Authorization: Bearer TOKEN` (Prometheus's `authorization.credentials_file`) or as
// `?token=TOKEN` (a browser opening the dashboard). GET /healthz answers "ok" to anyone: it is
// what a readiness probe asks, and it tells nothing.
//
// Thread safety: the constructor and destructor run on the owner's thread; address() may be
// called from any thread. Handlers run on the server's thread, one at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace hatch::internal {
class Metrics;
}  // namespace hatch::internal

namespace hatch::ops {

struct HttpRequest {
  std::string path;   // "/api/learner", without the query
  std::string query;  // "after=3", "" when there is none
  // The value of `name` in the query, taken verbatim (no percent-decoding); nullopt when absent.
  std::optional<std::string> query_value(std::string_view name) const;
};

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// A path's handler. It may throw: a UsageError (a bad query) is answered 400, anything else 500,
// with the exception's message.
using HttpHandler = std::function<HttpReply(const HttpRequest&)>;
using HttpRoutes = std::map<std::string, HttpHandler, std::less<>>;

struct HttpServerOptions {
  // Clients served at once. Default 16: a few scrapers, a dashboard and an operator's curl, few
  // enough that a crowd cannot take the process's descriptors.
  std::size_t max_connections = 16;
  // From accepting a connection to the end of writing its answer. Default 5 s: Prometheus's
  // default scrape timeout is 10 s, and a loopback scrape takes milliseconds.
  std::chrono::milliseconds request_deadline{5000};
  // The request line and headers, together. Default 8 KiB; a GET needs a few hundred bytes.
  std::size_t max_header_bytes = 8192;
  // Required of every request but /healthz when not empty; required to listen on an address
  // that is not loopback. Letters, digits and "-._~" only, so that it reads the same in a URL.
  std::string token;
};

class HttpServer {
 public:
  // Listens at `address` ("host:port", port 0: any free port) and serves `routes` (with
  // /healthz added) until destroyed. Throws UsageError naming the address when it is malformed,
  // cannot be bound, or is not loopback while the token is empty, and for a malformed token.
  HttpServer(const std::string& address, HttpRoutes routes, HttpServerOptions options = {});
  // Stops accepting, closes every connection and joins the server's thread.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The address it listens on, with the port it was given: "127.0.0.1:41234".
  const std::string& address() const noexcept;

 private:
  struct Impl;
  const std::unique_ptr<Impl> impl_;
};

// GET /metrics: what `metrics` has counted, in the Prometheus text format (version 0.0.4).
HttpRoutes metrics_routes(std::shared_ptr<internal::Metrics> metrics);

// Reads a token file (one line; surrounding whitespace is dropped). Throws UsageError naming the
// file when it cannot be read, is empty, or holds characters a token may not have.
std::string read_token_file(const std::string& path);

}  // namespace hatch::ops

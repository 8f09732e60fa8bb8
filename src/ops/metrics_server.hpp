// MetricsServer: GET /metrics over HTTP, in the Prometheus text format (version 0.0.4), for a
// scraper such as Prometheus to read what a process counts (core/metrics.hpp).
//
//   auto metrics = std::make_shared<internal::Metrics>();
//   ops::MetricsServer server(metrics, "127.0.0.1:9464");
//   // curl http://127.0.0.1:9464/metrics
//
// One request per connection, answered and closed: a scraper asks once per interval, and a
// connection that lives no longer than one request is the simplest to bound. What a client can
// take is bounded: at most `max_connections` at once (one over is closed at once, unanswered),
// `request_deadline` to send its request and read the answer (then it is closed), and
// `max_header_bytes` of request. A malformed request is answered 400 with the reason, another
// path 404, another method 405. Nothing a client does blocks the process: the server runs on a
// thread of its own, and every operation on it is asynchronous.
//
// Thread safety: the constructor and destructor run on the owner's thread; address() may be
// called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace hatch::internal {
class Metrics;
}  // namespace hatch::internal

namespace hatch::ops {

struct MetricsServerLimits {
  // Clients served at once. Default 16: a few scrapers and an operator's curl, few enough that
  // a crowd cannot take the process's descriptors.
  std::size_t max_connections = 16;
  // From accepting a connection to the end of writing its answer. Default 5 s: Prometheus's
  // default scrape timeout is 10 s, and a loopback scrape takes milliseconds.
  std::chrono::milliseconds request_deadline{5000};
  // The request line and headers, together. Default 8 KiB; a GET needs a few hundred bytes.
  std::size_t max_header_bytes = 8192;
};

class MetricsServer {
 public:
  // Listens at `address` ("host:port", port 0: any free port) and serves `metrics` until
  // destroyed. Throws UsageError naming the address when it is malformed or cannot be bound.
  MetricsServer(std::shared_ptr<internal::Metrics> metrics, const std::string& address,
                MetricsServerLimits limits = {});
  // Stops accepting, closes every connection and joins the server's thread.
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The address it listens on, with the port it was given: "127.0.0.1:41234".
  const std::string& address() const noexcept;

 private:
  struct Impl;
  const std::unique_ptr<Impl> impl_;
};

}  // namespace hatch::ops

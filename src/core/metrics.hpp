// What one Hatch process counts about itself, for Prometheus to scrape: the runtime and the
// transport record into a Metrics, and the ops layer (ops/http_server.hpp) serves it.
//
//   auto metrics = std::make_shared<internal::Metrics>();
//   options.metrics = metrics;                 // the origin (or a node) records into it
//   ops::HttpServer server("127.0.0.1:9464", ops::metrics_routes(metrics));  // GET /metrics
//
// Metric names and labels (docs/guide.md, "Metrics"):
//   hatch_calls_total{caller,callee,method,where}            calls made, where = local|remote
//   hatch_call_errors_total{caller,callee,method,where,status} of them, those that failed
//   hatch_call_latency_seconds{caller,callee,method,where}   histogram, as the caller saw it
//   hatch_call_request_bytes_total / hatch_call_reply_bytes_total{caller,callee,method,where}
//   hatch_transitions_total{kind,outcome}                    kind = move|replicate|shard
//   hatch_transition_pause_seconds{kind}                     histogram
//   hatch_connections                                        open peer connections (gauge)
//   hatch_connections_opened_total                           authenticated connections opened
//   hatch_frames_total{direction}                            direction = sent|received
//   hatch_outbox_bytes                                       queued, not yet written (gauge)
//   hatch_refused_peers_total{reason}                        peers the listener turned away
//   hatch_learner_windows_total, hatch_learner_explored_windows_total  the autopilot's windows
//   hatch_learner_window_reward, hatch_learner_incumbent_reward        gauges, after each window
//   hatch_learner_phase{phase}                               1 for the phase it is in, else 0
//
// A process without a Metrics (the default) records nothing: every recording site holds a
// pointer that is null then. Calls through a local binding are counted from the first scrape
// on (internal/local_calls.hpp): a process nobody scrapes keeps its local calls near the cost
// of a virtual call.
//
// Thread safety: every member may be called from any thread. The prometheus-cpp headers stay
// in metrics.cpp and in ops/; only the registry's name is declared here.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "hatch/error.hpp"

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace hatch::internal {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One call as its caller saw it. `status` is StatusCode::ok for a call that returned;
  // `request_bytes` and `reply_bytes` are the packed arguments and result (0 when it failed).
  struct Call {
    std::string_view caller;  // "" for calls from outside any component
    std::string_view callee;
    std::string_view method;
    bool remote = true;
    StatusCode status = StatusCode::ok;
    std::chrono::nanoseconds took{0};
    std::size_t request_bytes = 0;
    std::size_t reply_bytes = 0;
  };
  void call(const Call& call);

  // The series of one (caller, callee, method, where) edge, for a site that records often to
  // look up once: valid as long as this Metrics. The labels of `call` are the edge's.
  struct Series;
  Series& series(const Call& call);
  // One call on `series`, which must be series(call).
  void call(Series& series, const Call& call);

  // One transition of `kind` ("move", "replicate", "shard") that ended with `outcome` ("ok",
  // "rolled_back": it failed and the component stayed where it was, "error": it was refused or
  // threw) after holding callers for `pause`.
  void transition(std::string_view kind, std::string_view outcome, std::chrono::microseconds pause);

  // A connection was authenticated and opened / has closed.
  void connection_opened();
  void connection_closed();
  // Frames sent or received, counted one by one.
  void frame_sent();
  void frame_received();
  // Bytes entering (`delta` > 0) or leaving the outboxes of this process's connections.
  void outbox_changed(std::int64_t delta);
  // A peer the listener turned away: "handshake" (it did not prove the secret in time, or sent
  // something else) or "cap" (too many handshakes at once, in all or from its address).
  void refused_peer(std::string_view reason);

  // A learning window ended (autopilot): the learner is in `phase` now; `window_reward` is the
  // window's, `incumbent_reward` the incumbent's latest; `windows` and `explored` are the totals
  // so far, all windows and those that ran something other than the incumbent.
  void learner_window(std::string_view phase, double window_reward, double incumbent_reward,
                      std::uint64_t windows, std::uint64_t explored);

  // The registry holding all of it, for an exposer (ops/http_server.cpp).
  prometheus::Registry& registry() noexcept;

  // Someone reads the metrics: local calls are counted from now on (the exposer calls it on
  // every scrape). The flag local bindings check before counting a call.
  void scraped() noexcept { local_calls_.store(true, std::memory_order_relaxed); }
  const std::atomic<bool>& counts_local_calls() const noexcept { return local_calls_; }

 private:
  struct Impl;
  const std::unique_ptr<Impl> impl_;
  std::atomic<bool> local_calls_{false};
};

}  // namespace hatch::internal

#include "core/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <unordered_map>

namespace hatch::internal {
namespace {

// From 50 µs (a loopback round trip) to 10 s (beyond any call timeout's default).
const prometheus::Histogram::BucketBoundaries& latency_buckets() {
  static const prometheus::Histogram::BucketBoundaries buckets{
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
  return buckets;
}

std::string edge_key(const Metrics::Call& c) {
  std::string key;
  key.reserve(c.caller.size() + c.callee.size() + c.method.size() + 4);
  key.append(c.caller).push_back('\0');
  key.append(c.callee).push_back('\0');
  key.append(c.method).push_back('\0');
  key.push_back(c.remote ? 'r' : 'l');
  return key;
}

}  // namespace

// The handles of one (caller, callee, method, where) edge: a family's Add() takes a lock and
// hashes the labels, so each edge's handles are looked up once and kept.
struct Metrics::Series {
  prometheus::Counter* calls;
  prometheus::Histogram* latency;
  prometheus::Counter* request_bytes;
  prometheus::Counter* reply_bytes;
};

struct Metrics::Impl {
  prometheus::Registry registry;
  prometheus::Family<prometheus::Counter>& calls =
      prometheus::BuildCounter()
          .Name("hatch_calls_total")
          .Help(
              "Calls made through refs, by caller and callee component, method, and where "
              "the callee was (local or remote)")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& call_errors =
      prometheus::BuildCounter()
          .Name("hatch_call_errors_total")
          .Help(
              "Calls that failed, by status code (moved: the callee had left; the call was "
              "sent again and counted again)")
          .Register(registry);
  prometheus::Family<prometheus::Histogram>& call_latency =
      prometheus::BuildHistogram()
          .Name("hatch_call_latency_seconds")
          .Help("Latency of calls as their caller saw them")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& request_bytes =
      prometheus::BuildCounter()
          .Name("hatch_call_request_bytes_total")
          .Help("Bytes of packed arguments sent with calls")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& reply_bytes =
      prometheus::BuildCounter()
          .Name("hatch_call_reply_bytes_total")
          .Help("Bytes of packed results received for calls")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& transitions =
      prometheus::BuildCounter()
          .Name("hatch_transitions_total")
          .Help("Transitions applied by this origin, by kind and outcome")
          .Register(registry);
  prometheus::Family<prometheus::Histogram>& pauses =
      prometheus::BuildHistogram()
          .Name("hatch_transition_pause_seconds")
          .Help("How long each transition held the component's callers")
          .Register(registry);
  prometheus::Gauge& connections = prometheus::BuildGauge()
                                       .Name("hatch_connections")
                                       .Help("Authenticated peer connections open now")
                                       .Register(registry)
                                       .Add({});
  prometheus::Counter& connections_opened = prometheus::BuildCounter()
                                                .Name("hatch_connections_opened_total")
                                                .Help("Authenticated peer connections opened")
                                                .Register(registry)
                                                .Add({});
  prometheus::Family<prometheus::Counter>& frames =
      prometheus::BuildCounter()
          .Name("hatch_frames_total")
          .Help("Frames sent and received over peer connections")
          .Register(registry);
  prometheus::Counter& frames_sent = frames.Add({{"direction", "sent"}});
  prometheus::Counter& frames_received = frames.Add({{"direction", "received"}});
  prometheus::Gauge& outbox_bytes = prometheus::BuildGauge()
                                        .Name("hatch_outbox_bytes")
                                        .Help("Bytes queued for peers and not yet written")
                                        .Register(registry)
                                        .Add({});
  prometheus::Family<prometheus::Counter>& refused =
      prometheus::BuildCounter()
          .Name("hatch_refused_peers_total")
          .Help("Peers turned away before they proved the cluster secret, by reason")
          .Register(registry);

  prometheus::Counter& learner_windows = prometheus::BuildCounter()
                                             .Name("hatch_learner_windows_total")
                                             .Help("Windows the autopilot has measured")
                                             .Register(registry)
                                             .Add({});
  prometheus::Counter& learner_explored =
      prometheus::BuildCounter()
          .Name("hatch_learner_explored_windows_total")
          .Help("Windows that ran something other than the learner's incumbent (probes)")
          .Register(registry)
          .Add({});
  prometheus::Gauge& window_reward = prometheus::BuildGauge()
                                         .Name("hatch_learner_window_reward")
                                         .Help("The reward of the autopilot's latest window")
                                         .Register(registry)
                                         .Add({});
  prometheus::Gauge& incumbent_reward =
      prometheus::BuildGauge()
          .Name("hatch_learner_incumbent_reward")
          .Help("The reward of the incumbent design's latest window")
          .Register(registry)
          .Add({});
  prometheus::Family<prometheus::Gauge>& phases =
      prometheus::BuildGauge()
          .Name("hatch_learner_phase")
          .Help("1 for the phase the learner is in, 0 for the phases it has left")
          .Register(registry);

  std::mutex mu;
  prometheus::Gauge* phase = nullptr;             // guarded by mu: the series set to 1
  std::unordered_map<std::string, Series> edges;  // guarded by mu
  std::unordered_map<std::string, prometheus::Counter*> error_edges;  // guarded by mu

  Series& edge(const Metrics::Call& c, const std::string& key) {
    auto it = edges.find(key);
    if (it != edges.end()) return it->second;
    const prometheus::Labels labels{{"caller", std::string(c.caller)},
                                    {"callee", std::string(c.callee)},
                                    {"method", std::string(c.method)},
                                    {"where", c.remote ? "remote" : "local"}};
    return edges
        .emplace(key, Series{&calls.Add(labels), &call_latency.Add(labels, latency_buckets()),
                             &request_bytes.Add(labels), &reply_bytes.Add(labels)})
        .first->second;
  }

  prometheus::Counter& error_edge(const Metrics::Call& c, std::string key) {
    // As the enumerator is spelled ("deadline_exceeded"), not as messages spell it.
    std::string status(to_string(c.status));
    std::replace(status.begin(), status.end(), ' ', '_');
    key.push_back('\0');
    key.append(status);
    auto it = error_edges.find(key);
    if (it != error_edges.end()) return *it->second;
    const prometheus::Labels labels{{"caller", std::string(c.caller)},
                                    {"callee", std::string(c.callee)},
                                    {"method", std::string(c.method)},
                                    {"where", c.remote ? "remote" : "local"},
                                    {"status", status}};
    return *error_edges.emplace(std::move(key), &call_errors.Add(labels)).first->second;
  }
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

Metrics::Series& Metrics::series(const Call& c) {
  const std::string key = edge_key(c);
  std::lock_guard lock(impl_->mu);
  return impl_->edge(c, key);
}

void Metrics::call(const Call& c) {
  call(series(c), c);
}

void Metrics::call(Series& series, const Call& c) {
  series.calls->Increment();
  series.latency->Observe(std::chrono::duration<double>(c.took).count());
  if (c.request_bytes != 0) series.request_bytes->Increment(static_cast<double>(c.request_bytes));
  if (c.reply_bytes != 0) series.reply_bytes->Increment(static_cast<double>(c.reply_bytes));
  if (c.status != StatusCode::ok) {
    const std::string key = edge_key(c);
    std::lock_guard lock(impl_->mu);
    impl_->error_edge(c, key).Increment();
  }
}

void Metrics::transition(std::string_view kind, std::string_view outcome,
                         std::chrono::microseconds pause) {
  const std::string k(kind);
  impl_->transitions.Add({{"kind", k}, {"outcome", std::string(outcome)}}).Increment();
  impl_->pauses.Add({{"kind", k}}, latency_buckets())
      .Observe(std::chrono::duration<double>(pause).count());
}

void Metrics::connection_opened() {
  impl_->connections.Increment();
  impl_->connections_opened.Increment();
}

void Metrics::connection_closed() {
  impl_->connections.Decrement();
}

void Metrics::frame_sent() {
  impl_->frames_sent.Increment();
}

void Metrics::frame_received() {
  impl_->frames_received.Increment();
}

void Metrics::outbox_changed(std::int64_t delta) {
  impl_->outbox_bytes.Increment(static_cast<double>(delta));
}

void Metrics::refused_peer(std::string_view reason) {
  impl_->refused.Add({{"reason", std::string(reason)}}).Increment();
}

void Metrics::learner_window(std::string_view phase, double window_reward, double incumbent_reward,
                             std::uint64_t windows, std::uint64_t explored) {
  // The totals are the autopilot's own: each counter is brought up to its total.
  const auto catch_up = [](prometheus::Counter& counter, std::uint64_t total) {
    const double value = counter.Value();
    if (static_cast<double>(total) > value) counter.Increment(static_cast<double>(total) - value);
  };
  catch_up(impl_->learner_windows, windows);
  catch_up(impl_->learner_explored, explored);
  impl_->window_reward.Set(window_reward);
  impl_->incumbent_reward.Set(incumbent_reward);
  prometheus::Gauge& now = impl_->phases.Add({{"phase", std::string(phase)}});
  std::lock_guard lock(impl_->mu);
  if (impl_->phase != nullptr && impl_->phase != &now) impl_->phase->Set(0);
  now.Set(1);
  impl_->phase = &now;
}

prometheus::Registry& Metrics::registry() noexcept {
  return impl_->registry;
}

}  // namespace hatch::internal

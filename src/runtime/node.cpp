#include "hatch/node.hpp"

#include <condition_variable>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "core/host_address.hpp"
#include "hatch/context.hpp"
#include "hatch/internal/call_meter.hpp"
#include "hatch/internal/call_tracker.hpp"
#include "hatch/internal/codec.hpp"
#include "hatch/internal/mutex.hpp"
#include "rpc/endpoint.hpp"
#include "rpc/io_pool.hpp"
#include "rpc/listener.hpp"
#include "rpc/log_limiter.hpp"
#include "rpc/tls_network.hpp"
#include "runtime/control.hpp"
#include "runtime/host.hpp"
#include "runtime/host_control.hpp"
#include "runtime/node_joiner.hpp"
#include "runtime/node_refs.hpp"
#include "runtime/node_stopper.hpp"
#include "runtime/remote_component.hpp"

namespace hatch {

struct Node::Impl {
  class NodeContext final : public Context {
   public:
    NodeContext(Impl& impl, std::string component, std::string host, ConfigMap config)
        : Context(std::move(component), std::move(host), std::move(config)), impl_(impl) {}

   protected:
    std::shared_ptr<BindingCell> resolve(std::string_view name) override {
      return impl_.refs.resolve(std::string(name));
    }

   private:
    Impl& impl_;
  };

  Impl(const Catalog& c, NodeOptions o)
      : catalog(c),
        options(std::move(o)),
        secret(rpc::ClusterSecret::from_bytes(options.secret)),
        io(options.io_threads),
        network(options.network ? options.network : rpc::host_network(options.tls)),
        listener(*network, io.context(), options.listen, secret, listener_limits(options),
                 rpc::ConnectionOptions::of(options),
                 [this](std::shared_ptr<rpc::Connection> c, const rpc::PeerIdentity& peer,
                        const std::string& from) { admit(c, peer, from); }),
        address(listener.address()),
        host(address, options.limits),
        control(host, catalog, io.context(), options.call_timeout, options.call_timeout * 2,
                control_hooks()),
        refs(catalog, host, meter, options.call_timeout, refs_hooks()) {
    if (!options.network && options.tls.enabled()) {
      spdlog::info("node {}: mutual TLS, certificate {}, CA {}", address, options.tls.cert_file,
                   options.tls.ca_file);
    }
    if (options.emulated_link_latency.count() > 0) {
      spdlog::warn("node {}: EMULATION: every frame it sends waits {} ms (emulated link latency)",
                   address, options.emulated_link_latency.count());
    }
    host.set_control(
        [this](const std::shared_ptr<rpc::Connection>& connection, std::uint32_t method,
               internal::Payload& request) { return serve(connection, method, request); });
    host.set_lost_backup([this](const std::string& name, std::uint32_t id, const std::string& at) {
      tell_origin(runtime::ControlMethod::replica_lost,
                  runtime::ReplicaLostRequest{name, at, true, id}, name, at);
    });
    stopper = std::make_unique<runtime::NodeStopper>(io.context(), address, options.drain_timeout,
                                                     stopper_hooks());
    listener.start("node " + address);
    if (!options.join.empty()) joiner = make_joiner();
  }

  // Joins the origin at options.join, as options.advertise or the listen address.
  std::unique_ptr<runtime::NodeJoiner> make_joiner() {
    runtime::NodeJoiner::Settings settings;
    settings.door = options.join;
    settings.self = canonical_address(options.advertise.empty() ? address : options.advertise);
    const std::string host = split_address(settings.self).first;
    if (host == "0.0.0.0" || host == "::" || host.empty()) {
      throw UsageError("node " + address + " joins " + options.join +
                       " but listens on every address: say where the origin should dial it "
                       "(--advertise HOST:PORT, NodeOptions::advertise)");
    }
    split_address(settings.door);
    // The origin dials back before it answers: that may take its own call timeout.
    settings.timeout = options.call_timeout * 2;
    settings.rejoin = options.rejoin_interval;
    return std::make_unique<runtime::NodeJoiner>(network, io.context(), secret, copts, settings,
                                                 [this] {
                                                   MutexLock lock(mu);
                                                   return origin && origin->is_open();
                                                 });
  }

  runtime::NodeStopper::Hooks stopper_hooks() {
    runtime::NodeStopper::Hooks hooks;
    hooks.has_origin = [this] {
      MutexLock lock(mu);
      return origin != nullptr;
    };
    hooks.drain = [this](const std::string& reason) {
      return ask_origin<runtime::DrainReply>(runtime::ControlMethod::drain,
                                             runtime::DrainRequest{reason}, options.drain_timeout);
    };
    hooks.stop = [this] { request_stop(); };
    return hooks;
  }

  static rpc::ListenerLimits listener_limits(const NodeOptions& options) {
    rpc::ListenerLimits limits;
    limits.handshake_timeout = options.handshake_timeout;
    limits.max_handshakes = options.max_handshakes;
    limits.max_handshakes_per_source = options.max_handshakes_per_source;
    return limits;
  }

  runtime::HostControlHooks control_hooks() {
    runtime::HostControlHooks hooks;
    hooks.create = [this](const ComponentEntry& component, const runtime::InstantiateRequest& o) {
      NodeContext context(*this, o.name, o.home, o.config);
      return component.create(context);
    };
    hooks.drain_local_refs = [this](std::uint32_t id, rpc::Clock::time_point deadline) {
      return refs.gate_local(id, deadline);
    };
    hooks.retired = [this](std::uint32_t id, void* self) { refs.release(id, self); };
    hooks.reopened = [this](std::uint32_t id) { refs.rebind_home(id); };
    hooks.endpoint_for = [this](const std::string& location) { return endpoint_for(location); };
    hooks.check_gate = [this](std::uint32_t id, std::uint64_t epoch) {
      const runtime::GateCheckReply reply = ask_origin<runtime::GateCheckReply>(
          runtime::ControlMethod::gate_check, runtime::GateCheckRequest{id, epoch, control.self()});
      if (reply.verdict > static_cast<std::uint8_t>(runtime::GateVerdict::retire)) {
        throw UsageError("the origin answered a gate check with verdict " +
                         std::to_string(reply.verdict));
      }
      return std::make_pair(static_cast<runtime::GateVerdict>(reply.verdict), reply.where);
    };
    return hooks;
  }

  runtime::NodeRefs::Hooks refs_hooks() {
    runtime::NodeRefs::Hooks hooks;
    hooks.resolve_at_origin = [this](const std::string& name) {
      {
        MutexLock lock(mu);
        if (!origin)
          throw UsageError("node " + address + " has no origin to resolve '" + name + "'");
      }
      return ask_origin<runtime::ResolveReply>(runtime::ControlMethod::resolve,
                                               runtime::ResolveRequest{name});
    };
    hooks.self = [this] { return control.self(); };
    hooks.metrics = options.metrics;
    hooks.endpoint_for = [this](const std::string& location) { return endpoint_for(location); };
    hooks.lost_replica = [this](const std::string& component, const std::string& home) {
      tell_origin(runtime::ControlMethod::replica_lost,
                  runtime::ReplicaLostRequest{component, home, false}, component, home);
    };
    hooks.stale_home = [this](const std::string& component, std::uint32_t id,
                              const std::string& home) {
      tell_origin(runtime::ControlMethod::home_stale,
                  runtime::HomeStaleRequest{component, id, home}, component, home);
    };
    return hooks;
  }

  // A peer that proved the secret: the origin, or another node calling its dependencies.
  void admit(const std::shared_ptr<rpc::Connection>& connection, const rpc::PeerIdentity& peer,
             const std::string& from) {
    std::shared_ptr<rpc::Connection> replaced;
    std::string refusal;
    {
      MutexLock lock(mu);
      if (stopping) return;
      connections.emplace(connection, ++admitted);
      if (peer.role == "origin") {
        refusal = origin_refusal(connection, peer);
        if (refusal.empty()) replaced = become_origin(connection, peer);
      }
    }
    if (replaced) replaced->close("a newer origin connection replaced it");
    if (!refusal.empty()) log_refused_origin(peer, from, refusal);
    spdlog::info("node {}: accepted {} {}", address, peer.role, from);
    std::weak_ptr<rpc::Connection> weak = connection;
    connection->start([this](const std::shared_ptr<rpc::Connection>& c, const rpc::FrameHeader& h,
                             internal::Payload p) { host.serve(c, h, std::move(p)); },
                      [this, weak, from](const std::string& reason) {
                        spdlog::info("node {}: connection from {} ended: {}", address, from,
                                     reason);
                        MutexLock lock(mu);
                        if (auto c = weak.lock()) {
                          connections.erase(c);
                          if (c == origin) origin_lost_at = rpc::Clock::now();
                        }
                      });
  }

  // Why the origin `peer` may not take this node over on `connection` now, or "" when it may. A
  // node keeps its origin while that one is connected, and for the origin lease after it was
  // lost without resigning; an origin told to take over always may. Of one incarnation's
  // connections, the newest the node admitted is in charge: an order read on an older one
  // before the newer was admitted must not take the node back (and close the newer one).
  std::string origin_refusal(const std::shared_ptr<rpc::Connection>& connection,
                             const rpc::PeerIdentity& peer) HATCH_REQUIRES(mu) {
    if (origin_name == peer.name && origin && origin->is_open() &&
        admitted_at(origin) > admitted_at(connection)) {
      return "this connection of the origin " + peer.name + " to node " + address +
             " was replaced by a newer one";
    }
    if (origin_name.empty() || origin_name == peer.name || peer.take_over) return {};
    std::string why = "node " + address + " belongs to the origin " + origin_name;
    if (origin && origin->is_open()) {
      why += ", which is connected";
    } else {
      const auto lost =
          std::chrono::duration_cast<std::chrono::milliseconds>(rpc::Clock::now() - origin_lost_at);
      if (lost >= options.origin_lease) return {};
      why += ", lost " + std::to_string(lost.count()) + " ms ago without resigning";
    }
    return why + "; a different origin may take it over once that one has been lost for " +
           std::to_string(options.origin_lease.count()) +
           " ms (the node's origin lease), or at once when told to take over "
           "(--hatch-take-over, Options::take_over)";
  }

  // When the node admitted `connection`: 0 once it ended.
  std::uint64_t admitted_at(const std::shared_ptr<rpc::Connection>& connection) HATCH_REQUIRES(mu) {
    const auto it = connections.find(connection);
    return it == connections.end() ? 0 : it->second;
  }

  // Makes `connection` of `peer` this node's origin. A different incarnation than the one
  // before finds the node empty: the previous one's components and ids mean nothing to it, and
  // a call must never reach a component under a reused id. Returns the origin connection it
  // replaces, still open, for the caller to close outside the lock: the newest connection of
  // an origin wins, so that one that reconnects is not locked out by a half-open connection
  // the node has not yet seen die.
  std::shared_ptr<rpc::Connection> become_origin(const std::shared_ptr<rpc::Connection>& connection,
                                                 const rpc::PeerIdentity& peer) HATCH_REQUIRES(mu) {
    std::shared_ptr<rpc::Connection> replaced;
    if (origin && origin != connection && origin->is_open()) replaced = origin;
    if (!origin_name.empty() && origin_name != peer.name) {
      spdlog::warn("node {}: a new origin ({}) replaced {}{}; dropped {} components", address,
                   peer.name, origin_name, peer.take_over ? ", taking it over" : "",
                   drop_components());
    }
    origin = connection;
    origin_name = peer.name;
    return replaced;
  }

  // Drops every component and what refers to them. Returns how many there were.
  std::size_t drop_components() HATCH_REQUIRES(mu) {
    const std::size_t dropped = host.clear();
    refs.clear();
    control.clear();
    return dropped;
  }

  void log_refused_origin(const rpc::PeerIdentity& peer, const std::string& from,
                          const std::string& refusal) {
    if (auto n = origin_refusals.admit()) {
      spdlog::warn("node {}: refused the origin {} from {} ({} refusals like it): {}", address,
                   peer.name, from, *n, refusal);
    }
  }

  runtime::Reply serve(const std::shared_ptr<rpc::Connection>& connection,
                       std::uint32_t method_number, internal::Payload& request) {
    using runtime::ControlMethod;
    std::shared_ptr<rpc::Connection> replaced;
    std::string refusal;
    const rpc::PeerIdentity& peer = connection->peer();
    {
      MutexLock lock(mu);
      // An origin refused when it connected may take over since (its rival's lease ran out).
      if (connection != origin && peer.role == "origin") {
        refusal = origin_refusal(connection, peer);
        if (refusal.empty()) replaced = become_origin(connection, peer);
      } else if (connection != origin) {
        spdlog::warn("node {}: refused a control order from {}, which is not the origin", address,
                     connection->address());
        return runtime::error_reply(
            StatusCode::permission_denied,
            "only the origin may order a node to create or move components");
      }
    }
    if (replaced) replaced->close("a newer origin connection replaced it");
    if (!refusal.empty()) {
      log_refused_origin(peer, connection->address(), refusal);
      return runtime::error_reply(StatusCode::permission_denied, refusal);
    }
    const auto method = static_cast<ControlMethod>(method_number);
    if (runtime::HostControl::is_order(method)) {
      runtime::Reply reply = control.serve(method, request);
      if (method != ControlMethod::instantiate || reply.status != StatusCode::ok) return reply;
      MutexLock lock(mu);
      if (connection != origin) {
        // A new origin took over while this one was being created: it must not survive
        // under an id the new origin may reuse.
        std::span<const char> state;
        host.remove(runtime::decode<runtime::InstantiateRequest>(method, request.body,
                                                                 options.limits, &state)
                        .id);
        return runtime::error_reply(StatusCode::permission_denied,
                                    "a newer origin took over this node during the instantiate");
      }
      return reply;
    }
    switch (method) {
      case ControlMethod::metrics: {
        const auto order =
            runtime::decode<runtime::MetricsRequest>(method, request.body, options.limits);
        meter->set_on(order.on);
        runtime::MetricsReply reply;
        for (const CallEdge& e : meter->take()) {
          reply.edges.emplace_back(e.caller, e.callee, e.calls, e.total_ms);
        }
        return runtime::Reply{StatusCode::ok, runtime::encode(reply)};
      }
      case ControlMethod::heartbeat:
        return runtime::Reply{StatusCode::ok, runtime::encode(runtime::Done{})};
      case ControlMethod::resign: {
        const auto order = runtime::decode<runtime::Resign>(method, request.body, options.limits);
        MutexLock lock(mu);
        if (connection == origin) {
          spdlog::info("node {}: the origin {} resigned ({}); dropped {} components", address,
                       origin_name, order.reason, drop_components());
          origin.reset();
          origin_name.clear();
        }
        return runtime::Reply{StatusCode::ok, runtime::encode(runtime::Done{})};
      }
      case ControlMethod::rebind: {
        const auto order =
            runtime::decode<runtime::RebindRequest>(method, request.body, options.limits);
        refs.rebind(order.old_id, order.new_id,
                    runtime::read_placement(order.kind, order.homes, order.shard_replicas));
        return runtime::Reply{StatusCode::ok, runtime::encode(runtime::Done{})};
      }
      default:
        return runtime::error_reply(StatusCode::unknown_method,
                                    "unknown control operation " + std::to_string(method_number));
    }
  }

  // Asks the origin `order` and waits for its reply, `timeout` at most (default: the call
  // timeout). Throws what the call throws.
  template <class ReplyMessage, class Order>
  ReplyMessage ask_origin(runtime::ControlMethod method, const Order& order,
                          std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    internal::Payload reply = runtime::call_remote(
        *origin_endpoint(), runtime::kControlComponent, static_cast<std::uint32_t>(method),
        runtime::encode(order), timeout.value_or(options.call_timeout),
        std::string("control operation ") + runtime::to_string(method));
    return runtime::decode<ReplyMessage>(method, reply.body, options.limits);
  }

  // Tells the origin, in the background and at most once at a time per component and home,
  // what a caller found out about a home (a replica that did not answer, or a gated home).
  // Best effort: the next caller tells it again.
  template <class Order>
  void tell_origin(runtime::ControlMethod method, const Order& order, const std::string& component,
                   const std::string& home) {
    {
      MutexLock lock(mu);
      if (!telling.emplace(method, component, home).second) return;
    }
    asio::post(io.context(), [this, method, order, component, home] {
      try {
        ask_origin<runtime::Done>(method, order);
      } catch (const std::exception& e) {
        spdlog::warn("node {}: could not tell the origin about '{}' at {}: {}", address, component,
                     home, e.what());
      }
      MutexLock lock(mu);
      telling.erase({method, component, home});
    });
  }

  std::shared_ptr<rpc::Endpoint> endpoint_for(const std::string& location) {
    if (location == runtime::kOriginLocation) return origin_endpoint();
    return peer_for(location);
  }

  std::shared_ptr<rpc::Endpoint> origin_endpoint() {
    return std::make_shared<rpc::InboundEndpoint>(
        [this] {
          MutexLock lock(mu);
          return origin;
        },
        runtime::kOriginLocation);
  }

  std::shared_ptr<rpc::Peer> peer_for(const std::string& peer_address) {
    const std::string self = control.self();
    MutexLock lock(mu);
    auto& peer = peers[peer_address];
    if (!peer) {
      peer = std::make_shared<rpc::Peer>(
          network, io.context(), peer_address, secret, rpc::PeerIdentity{"node", self}, copts,
          [this](const std::shared_ptr<rpc::Connection>& c, const rpc::FrameHeader& h,
                 internal::Payload p) { host.serve(c, h, std::move(p)); });
    }
    return peer;
  }

  void request_stop() {
    MutexLock lock(mu);
    stopping = true;
    stop_cv.notify_all();
  }

  void wait_for_stop() {
    MutexLock lock(mu);
    while (!stopping) stop_cv.wait(lock);
  }

  void shutdown() {
    request_stop();
    joiner.reset();
    asio::post(io.context(), [this] { listener.close(); });
    if (stopper) stopper->cancel();
    std::map<std::shared_ptr<rpc::Connection>, std::uint64_t> closing;
    std::map<std::string, std::shared_ptr<rpc::Peer>> closing_peers;
    {
      MutexLock lock(mu);
      closing.swap(connections);
      closing_peers.swap(peers);
      origin.reset();
    }
    for (const auto& [c, n] : closing) c->close("the node is shutting down");
    for (auto& [a, p] : closing_peers) p->close("the node is shutting down");
    if (stopper) stopper->join();  // a drain's call failed when the connections closed
    control.clear();
    io.stop();
  }

  const Catalog& catalog;
  const NodeOptions options;
  const rpc::ClusterSecret secret;
  rpc::IoPool io;
  const std::shared_ptr<rpc::Network> network;
  rpc::Listener listener;
  const std::string address;
  runtime::Host host;
  const rpc::ConnectionOptions copts = rpc::ConnectionOptions::of(options);
  const std::shared_ptr<internal::CallMeter> meter = std::make_shared<internal::CallMeter>();
  runtime::HostControl control;
  runtime::NodeRefs refs;

  Mutex mu;
  std::condition_variable_any stop_cv;
  bool stopping HATCH_GUARDED_BY(mu) = false;
  std::shared_ptr<rpc::Connection> origin HATCH_GUARDED_BY(mu);
  std::string origin_name HATCH_GUARDED_BY(mu);  // the incarnation of the current origin
  rpc::Clock::time_point origin_lost_at HATCH_GUARDED_BY(mu);  // when its connection ended
  rpc::LogLimiter origin_refusals;
  // Every connection a peer opened that is still open, with the number of its admission.
  std::map<std::shared_ptr<rpc::Connection>, std::uint64_t> connections HATCH_GUARDED_BY(mu);
  std::uint64_t admitted HATCH_GUARDED_BY(mu) = 0;
  std::map<std::string, std::shared_ptr<rpc::Peer>> peers HATCH_GUARDED_BY(mu);
  // Reports to the origin on their way (operation, component, home).
  std::set<std::tuple<runtime::ControlMethod, std::string, std::string>> telling
      HATCH_GUARDED_BY(mu);
  // Set once, in the constructor; last, since their threads and handlers reach all of the above.
  std::unique_ptr<runtime::NodeStopper> stopper;
  std::unique_ptr<runtime::NodeJoiner> joiner;
};

Node::Node(const Catalog& catalog, NodeOptions options)
    : impl_(std::make_unique<Impl>(catalog, std::move(options))) {}

Node::~Node() {
  stop();
}

const std::string& Node::address() const noexcept {
  return impl_->address;
}

void Node::run_until_signal() {
  impl_->wait_for_stop();
}

void Node::stop() {
  impl_->shutdown();
}

}  // namespace hatch

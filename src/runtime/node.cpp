#include "hatch/node.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>

#include <spdlog/spdlog.h>

#include "hatch/context.hpp"
#include "hatch/internal/call_meter.hpp"
#include "hatch/internal/call_tracker.hpp"
#include "hatch/internal/codec.hpp"
#include "rpc/endpoint.hpp"
#include "rpc/handshake.hpp"
#include "rpc/io_pool.hpp"
#include "runtime/control.hpp"
#include "runtime/host.hpp"
#include "runtime/host_control.hpp"
#include "runtime/node_refs.hpp"
#include "runtime/remote_component.hpp"

namespace hatch {

namespace {

tcp::endpoint listen_endpoint(const std::string& address) {
  auto [host, port] = rpc::split_address(address);
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec)
    throw UsageError("cannot listen on '" + address + "': '" + host + "' is not an IP address");
  return tcp::endpoint(ip, port);
}

std::string format_endpoint(const tcp::endpoint& ep) {
  const auto ip = ep.address();
  return (ip.is_v6() ? "[" + ip.to_string() + "]" : ip.to_string()) + ":" +
         std::to_string(ep.port());
}

tcp::acceptor bind_acceptor(asio::io_context& io, const std::string& listen) {
  const tcp::endpoint ep = listen_endpoint(listen);
  tcp::acceptor acceptor(io);
  boost::system::error_code ec;
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw UsageError("cannot listen on " + listen + ": " + ec.message());
  return acceptor;
}

}  // namespace

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
        acceptor(bind_acceptor(io.context(), options.listen)),
        address(format_endpoint(acceptor.local_endpoint())),
        signals(io.context(), SIGTERM, SIGINT),
        host(address, options.limits),
        control(host, catalog, io.context(), options.call_timeout, options.call_timeout * 2,
                control_hooks()),
        refs(catalog, host, meter, options.call_timeout, refs_hooks()) {
    copts.limits = options.limits;
    copts.emulated_latency = options.emulated_link_latency;
    if (options.emulated_link_latency.count() > 0) {
      spdlog::warn("node {}: EMULATION: every frame it sends waits {} ms (emulated link latency)",
                   address, options.emulated_link_latency.count());
    }
    host.set_control(
        [this](const std::shared_ptr<rpc::Connection>& connection, std::uint32_t method,
               internal::Payload& request) { return serve(connection, method, request); });
    host.set_lost_backup([this](const std::string& component, const std::string& home) {
      tell_origin(runtime::ControlMethod::replica_lost,
                  runtime::ReplicaLostRequest{component, home, true}, component, home);
    });
    signals.async_wait([this](const boost::system::error_code& e, int signal) {
      if (!e) {
        spdlog::info("node {}: signal {} received, shutting down", address, signal);
        request_stop();
      }
    });
    asio::co_spawn(io.context(), accept_loop(), asio::detached);
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
        std::lock_guard lock(mu);
        if (!origin)
          throw UsageError("node " + address + " has no origin to resolve '" + name + "'");
      }
      return ask_origin<runtime::ResolveReply>(runtime::ControlMethod::resolve,
                                               runtime::ResolveRequest{name});
    };
    hooks.self = [this] { return control.self(); };
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

  asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket =
          co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        spdlog::warn("node {}: accept failed: {}", address, ec.message());
        continue;
      }
      asio::co_spawn(io.context(), admit(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> admit(tcp::socket accepted) {
    boost::system::error_code ec;
    const auto remote = accepted.remote_endpoint(ec);
    const std::string from = ec ? std::string("an unknown peer") : format_endpoint(remote);
    // Shared with the timer, whose handler may run after this coroutine has moved on.
    auto socket = std::make_shared<tcp::socket>(std::move(accepted));
    asio::steady_timer timer(socket->get_executor(), options.handshake_timeout);
    timer.async_wait([socket](const boost::system::error_code& e) {
      if (!e) {
        boost::system::error_code ignored;
        socket->close(ignored);
      }
    });
    rpc::PeerIdentity peer;
    try {
      peer = co_await rpc::handshake_as_server(*socket, secret);
    } catch (const rpc::HandshakeError& e) {
      spdlog::warn("node {}: refused peer {}: {}", address, from, e.what());
      timer.cancel();
      co_return;
    } catch (const boost::system::system_error& e) {
      spdlog::warn("node {}: refused peer {}: the handshake did not complete ({})", address, from,
                   e.code().message());
      timer.cancel();
      co_return;
    }
    timer.cancel();
    auto connection = std::make_shared<rpc::Connection>(std::move(*socket), from, peer, copts);
    std::shared_ptr<rpc::Connection> replaced;
    {
      std::lock_guard lock(mu);
      if (stopping) co_return;
      connections.insert(connection);
      // The newest origin wins: an origin that reconnects must not be locked out by a
      // half-open connection the node has not yet seen die.
      if (peer.role == "origin") {
        if (origin && origin->is_open()) replaced = origin;
        if (!origin_name.empty() && origin_name != peer.name) {
          // A different origin process: the previous one's components and ids mean nothing
          // to it, and a call must never reach a component under a reused id.
          const std::size_t dropped = host.clear();
          refs.clear();
          control.clear();
          spdlog::warn("node {}: a new origin ({}) replaced {}; dropped {} components", address,
                       peer.name, origin_name, dropped);
        }
        origin = connection;
        origin_name = peer.name;
      }
    }
    if (replaced) replaced->close("a newer origin connection replaced it");
    spdlog::info("node {}: accepted {} {}", address, peer.role, from);
    std::weak_ptr<rpc::Connection> weak = connection;
    connection->start([this](const std::shared_ptr<rpc::Connection>& c, const rpc::FrameHeader& h,
                             internal::Payload p) { host.serve(c, h, std::move(p)); },
                      [this, weak, from](const std::string& reason) {
                        spdlog::info("node {}: connection from {} ended: {}", address, from,
                                     reason);
                        std::lock_guard lock(mu);
                        if (auto c = weak.lock()) connections.erase(c);
                      });
  }

  runtime::Reply serve(const std::shared_ptr<rpc::Connection>& connection,
                       std::uint32_t method_number, internal::Payload& request) {
    using runtime::ControlMethod;
    {
      std::lock_guard lock(mu);
      if (connection != origin) {
        spdlog::warn("node {}: refused a control order from {}, which is not the origin", address,
                     connection->address());
        return runtime::error_reply(
            StatusCode::permission_denied,
            "only the origin may order a node to create or move components");
      }
    }
    const auto method = static_cast<ControlMethod>(method_number);
    if (runtime::HostControl::is_order(method)) {
      runtime::Reply reply = control.serve(method, request);
      if (method != ControlMethod::instantiate || reply.status != StatusCode::ok) return reply;
      std::lock_guard lock(mu);
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
      case ControlMethod::rebind: {
        const auto order =
            runtime::decode<runtime::RebindRequest>(method, request.body, options.limits);
        refs.rebind(order.old_id, order.new_id, runtime::read_placement(order.kind, order.homes));
        return runtime::Reply{StatusCode::ok, runtime::encode(runtime::Done{})};
      }
      default:
        return runtime::error_reply(StatusCode::unknown_method,
                                    "unknown control operation " + std::to_string(method_number));
    }
  }

  // Asks the origin `order` and waits for its reply. Throws what the call throws.
  template <class ReplyMessage, class Order>
  ReplyMessage ask_origin(runtime::ControlMethod method, const Order& order) {
    internal::Payload reply = runtime::call_remote(
        *origin_endpoint(), runtime::kControlComponent, static_cast<std::uint32_t>(method),
        runtime::encode(order), options.call_timeout,
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
      std::lock_guard lock(mu);
      if (!telling.emplace(method, component, home).second) return;
    }
    asio::post(io.context(), [this, method, order, component, home] {
      try {
        ask_origin<runtime::Done>(method, order);
      } catch (const std::exception& e) {
        spdlog::warn("node {}: could not tell the origin about '{}' at {}: {}", address, component,
                     home, e.what());
      }
      std::lock_guard lock(mu);
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
          std::lock_guard lock(mu);
          return origin;
        },
        runtime::kOriginLocation);
  }

  std::shared_ptr<rpc::Peer> peer_for(const std::string& peer_address) {
    const std::string self = control.self();
    std::lock_guard lock(mu);
    auto& peer = peers[peer_address];
    if (!peer) {
      peer = std::make_shared<rpc::Peer>(
          io.context(), peer_address, secret, rpc::PeerIdentity{"node", self}, copts,
          [this](const std::shared_ptr<rpc::Connection>& c, const rpc::FrameHeader& h,
                 internal::Payload p) { host.serve(c, h, std::move(p)); });
    }
    return peer;
  }

  void request_stop() {
    std::lock_guard lock(mu);
    stopping = true;
    stop_cv.notify_all();
  }

  void wait_for_stop() {
    std::unique_lock lock(mu);
    stop_cv.wait(lock, [&] { return stopping; });
  }

  void shutdown() {
    request_stop();
    asio::post(io.context(), [this] {
      boost::system::error_code ignored;
      acceptor.close(ignored);
      signals.cancel(ignored);
    });
    std::set<std::shared_ptr<rpc::Connection>> closing;
    std::map<std::string, std::shared_ptr<rpc::Peer>> closing_peers;
    {
      std::lock_guard lock(mu);
      closing.swap(connections);
      closing_peers.swap(peers);
      origin.reset();
    }
    for (const auto& c : closing) c->close("the node is shutting down");
    for (auto& [a, p] : closing_peers) p->close("the node is shutting down");
    control.clear();
    io.stop();
  }

  const Catalog& catalog;
  const NodeOptions options;
  const rpc::ClusterSecret secret;
  rpc::IoPool io;
  tcp::acceptor acceptor;
  const std::string address;
  asio::signal_set signals;
  runtime::Host host;
  rpc::ConnectionOptions copts;
  const std::shared_ptr<internal::CallMeter> meter = std::make_shared<internal::CallMeter>();
  runtime::HostControl control;
  runtime::NodeRefs refs;

  std::mutex mu;
  std::condition_variable stop_cv;
  bool stopping = false;                    // guarded by mu
  std::shared_ptr<rpc::Connection> origin;  // guarded by mu
  std::string origin_name;                  // guarded by mu; the incarnation of the current origin
  std::set<std::shared_ptr<rpc::Connection>> connections;   // guarded by mu
  std::map<std::string, std::shared_ptr<rpc::Peer>> peers;  // guarded by mu
  // Guarded by mu: reports to the origin on their way (operation, component, home).
  std::set<std::tuple<runtime::ControlMethod, std::string, std::string>> telling;
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

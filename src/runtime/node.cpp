#include "hatch/node.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
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
#include "runtime/placement_binding.hpp"
#include "runtime/remote_component.hpp"
#include "runtime/state_transfer.hpp"

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
      return impl_.resolve_dependency(std::string(name));
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
        host(address, options.limits) {
    copts.limits = options.limits;
    copts.emulated_latency = options.emulated_link_latency;
    if (options.emulated_link_latency.count() > 0) {
      spdlog::warn("node {}: EMULATION: every frame it sends waits {} ms (emulated link latency)",
                   address, options.emulated_link_latency.count());
    }
    host.set_control(
        [this](const std::shared_ptr<rpc::Connection>& connection, std::uint32_t method,
               internal::Payload& request) { return control(connection, method, request); });
    host.set_lost_backup([this](const std::string& component, const std::string& home) {
      report_lost_replica(component, home, true);
    });
    signals.async_wait([this](const boost::system::error_code& e, int signal) {
      if (!e) {
        spdlog::info("node {}: signal {} received, shutting down", address, signal);
        request_stop();
      }
    });
    asio::co_spawn(io.context(), accept_loop(), asio::detached);
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
          dependencies.clear();
          taken.clear();
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

  static runtime::Reply ok_reply() {
    internal::WireBuffer out;
    msgpack::pack(out, msgpack::type::nil_t());
    return runtime::Reply{StatusCode::ok, std::move(out.bytes())};
  }

  static runtime::Reply metrics_reply(const std::vector<CallEdge>& edges) {
    internal::WireBuffer out;
    msgpack::packer<internal::WireBuffer> packer(out);
    packer.pack_array(static_cast<std::uint32_t>(edges.size()));
    for (const CallEdge& e : edges) {
      packer.pack(std::make_tuple(e.caller, e.callee, e.calls, e.total_ms));
    }
    return runtime::Reply{StatusCode::ok, std::move(out.bytes())};
  }

  runtime::Reply control(const std::shared_ptr<rpc::Connection>& connection, std::uint32_t method,
                         internal::Payload& request) {
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
    msgpack::object_handle h = internal::unpack_untrusted(request.body, options.limits);
    const auto deadline = rpc::Clock::now() + options.call_timeout;
    switch (static_cast<ControlMethod>(method)) {
      case ControlMethod::instantiate: {
        const msgpack::object& o = h.get();
        if (o.type != msgpack::type::ARRAY || (o.via.array.size != 6 && o.via.array.size != 8)) {
          return runtime::error_reply(StatusCode::bad_request,
                                      "instantiate takes 6 or 8 arguments");
        }
        const msgpack::object* a = o.via.array.ptr;
        const auto id = a[1].as<std::uint32_t>();
        std::optional<runtime::Reshard> reshard;
        if (o.via.array.size == 8) {
          reshard.emplace(a[6].as<std::uint32_t>(), a[7].as<std::vector<std::string>>());
        }
        runtime::Reply reply =
            instantiate(a[0].as<std::string>(), id, a[2].as<std::string>(), a[3].as<ConfigMap>(),
                        a[4].as<std::string>(), a[5], request, reshard);
        std::lock_guard lock(mu);
        if (connection != origin) {
          // A new origin took over while this one was being created: it must not survive
          // under an id the new origin may reuse.
          host.remove(id);
          return runtime::error_reply(StatusCode::permission_denied,
                                      "a newer origin took over this node during the instantiate");
        }
        return reply;
      }
      case ControlMethod::gate: {
        auto [id] = h.get().as<std::tuple<std::uint32_t>>();
        if (!host.find(id)) {
          return runtime::error_reply(StatusCode::unknown_component,
                                      "no component with id " + std::to_string(id) + " on " +
                                          address + " (was the node restarted?)");
        }
        if (!gate_local_refs(id, deadline) || !host.gate(id, deadline)) {
          return runtime::error_reply(StatusCode::deadline_exceeded,
                                      "component " + std::to_string(id) + " on " + address +
                                          " did not drain before the deadline");
        }
        return ok_reply();
      }
      case ControlMethod::ungate: {
        auto [id] = h.get().as<std::tuple<std::uint32_t>>();
        rpc::Tail tail;
        {
          std::lock_guard lock(mu);
          if (auto it = taken.find(id); it != taken.end()) {
            tail = std::move(it->second);
            taken.erase(it);
          }
        }
        try {
          if (std::shared_ptr<const runtime::HostedComponent> c = host.find(id)) {
            runtime::restore_state(c->instance, tail);
          }
        } catch (const std::exception& e) {
          spdlog::error("node {}: component {} could not take its state back: {}", address, id,
                        e.what());
        }
        host.ungate(id);
        rebind_home(id);
        return ok_reply();
      }
      case ControlMethod::export_state: {
        const msgpack::object& o = h.get();
        if (o.type != msgpack::type::ARRAY || o.via.array.size < 1) {
          return runtime::error_reply(StatusCode::bad_request, "export takes 1 or 2 arguments");
        }
        const auto id = o.via.array.ptr[0].as<std::uint32_t>();
        std::shared_ptr<const runtime::HostedComponent> c = host.find(id);
        if (!c) {
          return runtime::error_reply(
              StatusCode::unknown_component,
              "no component with id " + std::to_string(id) + " on " + address);
        }
        if (o.via.array.size == 2) {
          // A resharding: only the entries that leave this node.
          const auto new_homes = o.via.array.ptr[1].as<std::vector<std::string>>();
          return runtime::Reply{
              StatusCode::ok,
              runtime::pack_entries(
                  runtime::resharded_entries(c->instance, new_homes, self_name(), false), -1, 1)};
        }
        internal::WireBuffer out;
        rpc::Tail tail;
        runtime::export_state(c->instance, out, tail);
        {
          std::lock_guard lock(mu);
          taken[id] = tail;  // to give back if the move fails
        }
        return runtime::Reply{StatusCode::ok, std::move(out.bytes()), std::move(tail)};
      }
      case ControlMethod::retire: {
        auto [id, where] = h.get().as<std::tuple<std::uint32_t, std::string>>();
        std::shared_ptr<const runtime::HostedComponent> leaving = host.find(id);
        {
          std::lock_guard lock(mu);
          taken.erase(id);
        }
        host.retire(id, where);
        // Its local callers drained at the gate and wait there for the directory push: free
        // the instance and its state.
        if (leaving) release_dependencies(id, leaving->instance.self);
        spdlog::info("node {}: component {} moved to {}", address, id, where);
        return ok_reply();
      }
      case ControlMethod::remove: {
        auto [id] = h.get().as<std::tuple<std::uint32_t>>();
        host.remove(id);
        return ok_reply();
      }
      case ControlMethod::set_backups: {
        auto [id, backups] = h.get().as<std::tuple<std::uint32_t, std::vector<std::string>>>();
        std::shared_ptr<const runtime::HostedComponent> c = host.find(id);
        if (!c) {
          return runtime::error_reply(
              StatusCode::unknown_component,
              "no component with id " + std::to_string(id) + " on " + address);
        }
        std::vector<std::shared_ptr<runtime::RemoteComponent>> targets;
        for (const std::string& backup : backups) {
          targets.push_back(std::make_shared<runtime::RemoteComponent>(
              endpoint_for(backup), id, *c->interface, options.call_timeout));
        }
        host.set_backups(id, std::move(targets), backups);
        return ok_reply();
      }
      case ControlMethod::metrics: {
        auto [on] = h.get().as<std::tuple<bool>>();
        meter->set_on(on);
        return metrics_reply(meter->take());
      }
      case ControlMethod::rebind: {
        auto [name, old_id, new_id, kind, homes] =
            h.get()
                .as<std::tuple<std::string, std::uint32_t, std::uint32_t, std::uint8_t,
                               std::vector<std::string>>>();
        rebind_dependencies(old_id, new_id, read_placement(kind, homes));
        return ok_reply();
      }
      default:
        return runtime::error_reply(StatusCode::unknown_method,
                                    "unknown control operation " + std::to_string(method));
    }
  }

  std::string self_name() {
    std::lock_guard lock(mu);
    return self;
  }

  runtime::Reply instantiate(const std::string& name, std::uint32_t id,
                             const std::string& self_name, ConfigMap config,
                             const std::string& signature, const msgpack::object& state,
                             internal::Payload& request,
                             const std::optional<runtime::Reshard>& reshard) {
    const ComponentEntry* component = catalog.find(name);
    if (component == nullptr) {
      return runtime::error_reply(StatusCode::unknown_component,
                                  "node " + address + " has no component named '" + name +
                                      "' in its binary; it has: " + catalog.names_line());
    }
    if (component->interface->signature != signature) {
      return runtime::error_reply(StatusCode::bad_request,
                                  "the interface " + std::string(component->interface->name) +
                                      " of '" + name + "' differs between the origin and node " +
                                      address + "; rebuild both from the same source");
    }
    {
      std::lock_guard lock(mu);
      self = self_name;
    }
    NodeContext context(*this, name, self_name, std::move(config));
    Instance instance = component->create(context);
    const bool with_state = state.type != msgpack::type::NIL;
    if (with_state) runtime::import_state(instance, state, request);
    if (reshard) {
      std::shared_ptr<const runtime::HostedComponent> old = host.find(reshard->old_id);
      if (!old) {
        return runtime::error_reply(StatusCode::unknown_component,
                                    "no component with id " + std::to_string(reshard->old_id) +
                                        " on " + address + " to keep entries from");
      }
      instance.keyed->import_entries(
          runtime::resharded_entries(old->instance, reshard->new_homes, self_name, true));
    }
    host.add(id, name, *component->interface, std::move(instance));
    spdlog::info("node {}: created component '{}' (id {}{})", address, name, id,
                 with_state ? ", with its moved state" : "");
    return ok_reply();
  }

  // Closes the gate on this node's own local refs to `id` and waits for their calls. Returns
  // false if some still run at `deadline`.
  bool gate_local_refs(std::uint32_t id, rpc::Clock::time_point deadline) {
    std::vector<std::shared_ptr<BindingCell>> cells;
    {
      std::lock_guard lock(mu);
      for (auto& [name, dep] : dependencies) {
        if (dep.id == id && dep.cell->binding().kind == Binding::Kind::local)
          cells.push_back(dep.cell);
      }
    }
    std::shared_ptr<const runtime::HostedComponent> c = host.find(id);
    for (const auto& cell : cells) {
      void* self_ptr = nullptr;
      std::shared_ptr<void> gate = c->interface->make_gate(*cell, options.call_timeout, &self_ptr);
      cell->bind(std::move(gate), self_ptr, cell->binding());
      if (!internal::drain_local_calls(cell.get(), deadline)) return false;
    }
    return true;
  }

  // Points this node's refs to `old_id` at `new_id`, placed at `placement`.
  void rebind_dependencies(std::uint32_t old_id, std::uint32_t new_id, const Placement& placement) {
    std::vector<std::pair<std::string, std::shared_ptr<BindingCell>>> cells;
    {
      std::lock_guard lock(mu);
      for (auto& [name, dep] : dependencies) {
        if (dep.id == old_id) {
          dep.id = new_id;
          dep.placement = placement;
          cells.emplace_back(name, dep.cell);
        }
      }
    }
    for (auto& [name, cell] : cells) bind_dependency(*cell, name, new_id, placement);
  }

  // Points this node's refs to `id` at the placement they had before a transition gated them.
  void rebind_home(std::uint32_t id) {
    std::vector<std::tuple<std::string, std::shared_ptr<BindingCell>, Placement>> cells;
    {
      std::lock_guard lock(mu);
      for (auto& [name, dep] : dependencies) {
        if (dep.id == id) cells.emplace_back(name, dep.cell, dep.placement);
      }
    }
    for (auto& [name, cell, placement] : cells) bind_dependency(*cell, name, id, placement);
  }

  // Tells the origin, in the background, that a replica did not answer (`missed_writes`: it
  // was a backup its primary dropped, so it no longer holds every write). Best effort: the
  // next caller tells it again.
  void report_lost_replica(const std::string& component, const std::string& home,
                           bool missed_writes) {
    asio::post(io.context(), [this, component, home, missed_writes] {
      try {
        internal::WireBuffer args;
        internal::pack_args(args, component, home, missed_writes);
        runtime::call_remote(*origin_endpoint(), runtime::kControlComponent,
                             static_cast<std::uint32_t>(runtime::ControlMethod::replica_lost),
                             std::move(args.bytes()), options.call_timeout,
                             "report the replica of '" + component + "' at " + home);
      } catch (const std::exception& e) {
        spdlog::warn("node {}: could not report the lost replica of '{}' at {}: {}", address,
                     component, home, e.what());
      }
    });
  }

  static Placement read_placement(std::uint8_t kind, const std::vector<std::string>& homes) {
    if (kind > static_cast<std::uint8_t>(Placement::Kind::sharded) || homes.empty()) {
      throw UsageError("a placement of kind " + std::to_string(kind) + " with " +
                       std::to_string(homes.size()) + " homes is not one");
    }
    return runtime::placement_of(static_cast<Placement::Kind>(kind), homes);
  }

  std::shared_ptr<rpc::Endpoint> endpoint_for(const std::string& location) {
    if (location == runtime::kOriginLocation) return origin_endpoint();
    return peer_for(location);
  }

  void release_dependencies(std::uint32_t id, void* target) {
    std::lock_guard lock(mu);
    for (auto& [name, dep] : dependencies) {
      if (dep.id == id) dep.cell->release(target);
    }
  }

  std::shared_ptr<rpc::Endpoint> origin_endpoint() {
    return std::make_shared<rpc::InboundEndpoint>(
        [this] {
          std::lock_guard lock(mu);
          return origin;
        },
        runtime::kOriginLocation);
  }

  void bind_dependency(BindingCell& cell, const std::string& name, std::uint32_t id,
                       const Placement& placement) {
    runtime::Reach reach{host, self_name(),
                         [this](const std::string& location) { return endpoint_for(location); },
                         options.call_timeout,
                         [this](const std::string& component, const std::string& home) {
                           report_lost_replica(component, home, false);
                         }};
    runtime::bind_placement(cell, *catalog.find(name), id, placement, reach);
  }

  std::shared_ptr<BindingCell> resolve_dependency(const std::string& name) {
    {
      std::lock_guard lock(mu);
      if (auto it = dependencies.find(name); it != dependencies.end()) return it->second.cell;
      if (!origin) throw UsageError("node " + address + " has no origin to resolve '" + name + "'");
    }
    const ComponentEntry* component = catalog.find(name);
    if (component == nullptr) {
      throw UsageError("node " + address + " has no component named '" + name + "' in its binary");
    }
    internal::WireBuffer args;
    internal::pack_args(args, name);
    internal::Payload reply = runtime::call_remote(
        *origin_endpoint(), runtime::kControlComponent,
        static_cast<std::uint32_t>(runtime::ControlMethod::resolve), std::move(args.bytes()),
        options.call_timeout, "resolve '" + name + "'");
    msgpack::object_handle h = internal::unpack_untrusted(reply.body, options.limits);
    auto [id, interface_name, kind, homes] =
        h.get()
            .as<std::tuple<std::uint32_t, std::string, std::uint8_t, std::vector<std::string>>>();
    const Placement placement = read_placement(kind, homes);
    auto cell = std::make_shared<BindingCell>(name, component->interface->name, meter);
    bind_dependency(*cell, name, id, placement);
    std::lock_guard lock(mu);
    return dependencies.emplace(name, Dependency{cell, id, placement}).first->second.cell;
  }

  std::shared_ptr<rpc::Peer> peer_for(const std::string& peer_address) {
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

  std::mutex mu;
  std::condition_variable stop_cv;
  bool stopping = false;                    // guarded by mu
  std::shared_ptr<rpc::Connection> origin;  // guarded by mu
  std::string origin_name;                  // guarded by mu; the incarnation of the current origin
  std::string self;                         // guarded by mu
  std::set<std::shared_ptr<rpc::Connection>> connections;  // guarded by mu
  struct Dependency {
    std::shared_ptr<BindingCell> cell;
    std::uint32_t id = 0;
    Placement placement;  // where it was last put, to return to when a transition fails
  };
  std::map<std::string, Dependency> dependencies;  // guarded by mu
  // Guarded by mu: states exported for a move that has not finished, to give back on failure.
  std::map<std::uint32_t, rpc::Tail> taken;
  std::map<std::string, std::shared_ptr<rpc::Peer>> peers;  // guarded by mu
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

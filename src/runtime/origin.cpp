#include "hatch/origin.hpp"

#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "hatch/context.hpp"
#include "hatch/internal/call_tracker.hpp"
#include "hatch/internal/codec.hpp"
#include "rpc/endpoint.hpp"
#include "rpc/io_pool.hpp"
#include "runtime/control.hpp"
#include "runtime/host.hpp"
#include "runtime/remote_component.hpp"
#include "runtime/state_transfer.hpp"

namespace hatch {

namespace {

std::string new_incarnation() {
  std::random_device rd;
  char buf[32];
  std::snprintf(buf, sizeof buf, "origin/%08x%08x", rd(), rd());
  return buf;
}

}  // namespace

struct Origin::Impl {
  struct Entry {
    std::uint32_t id = 0;
    const ComponentEntry* component = nullptr;
    std::shared_ptr<BindingCell> cell;
    std::string location;
    bool ready = false;
    std::thread::id creator;
  };

  class OriginContext final : public Context {
   public:
    OriginContext(Impl& impl, std::string component, ConfigMap config)
        : Context(std::move(component), runtime::kOriginLocation, std::move(config)), impl_(impl) {}

   protected:
    std::shared_ptr<BindingCell> resolve(std::string_view name) override {
      return impl_.resolve(name);
    }

   private:
    Impl& impl_;
  };

  Impl(const Catalog& c, Options o)
      : catalog(c), options(std::move(o)), io(options.io_threads), host("origin", options.limits) {
    if (!options.secret.empty()) secret.emplace(rpc::ClusterSecret::from_bytes(options.secret));
    host.set_control(
        [this](const std::shared_ptr<rpc::Connection>& connection, std::uint32_t method,
               internal::Payload& request) { return control(connection, method, request); });
  }

  std::shared_ptr<BindingCell> resolve(std::string_view name_view) {
    const std::string name(name_view);
    std::unique_lock lock(mu);
    if (auto it = entries.find(name); it != entries.end()) {
      Entry& e = it->second;
      if (!e.ready && e.creator == std::this_thread::get_id()) {
        throw UsageError("dependency cycle: component '" + name +
                         "' needs itself while it is created");
      }
      if (!cv.wait_for(lock, options.call_timeout * 2, [&] {
            auto found = entries.find(name);
            return found == entries.end() || found->second.ready;
          })) {
        throw UsageError("component '" + name +
                         "' is still being created; is there a dependency cycle across hosts?");
      }
      auto found = entries.find(name);
      if (found == entries.end()) return resolve_again(lock, name);
      return found->second.cell;
    }
    return resolve_again(lock, name);
  }

  std::shared_ptr<BindingCell> resolve_again(std::unique_lock<std::mutex>& lock,
                                             const std::string& name) {
    if (entries.count(name) != 0) {
      lock.unlock();
      return resolve(name);
    }
    const ComponentEntry* component = catalog.find(name);
    if (component == nullptr) {
      throw UsageError("no component named '" + name +
                       "' is registered; registered: " + catalog.names_line());
    }
    Entry& e = entries[name];
    e.id = next_id++;
    e.component = component;
    e.cell = std::make_shared<BindingCell>(name, component->interface->name);
    auto placement = options.placements.find(name);
    e.location = placement == options.placements.end() || placement->second == "local"
                     ? std::string(runtime::kOriginLocation)
                     : placement->second;
    e.creator = std::this_thread::get_id();
    const Entry snapshot = e;
    lock.unlock();
    try {
      create(name, snapshot);
    } catch (...) {
      lock.lock();
      entries.erase(name);
      cv.notify_all();
      throw;
    }
    lock.lock();
    entries[name].ready = true;
    cv.notify_all();
    return snapshot.cell;
  }

  ConfigMap config_of(const std::string& name) const {
    auto it = options.configs.find(name);
    return it == options.configs.end() ? ConfigMap{} : it->second;
  }

  void create(const std::string& name, const Entry& e) {
    internal::Payload no_state;
    create_at(e.location, name, e, no_state);
    bind_cell(e, e.location);
    spdlog::info("created component '{}' (id {}) on {}", name, e.id, e.location);
  }

  // Creates component `e` at `location`, loading `state` (a packed state and its tail) unless
  // its body is empty. The state reaches a node uncopied: its body as the request's last
  // argument, its tail as the request's tail.
  void create_at(const std::string& location, const std::string& name, const Entry& e,
                 internal::Payload& state) {
    const InterfaceEntry& iface = *e.component->interface;
    if (location == runtime::kOriginLocation) {
      OriginContext context(*this, name, config_of(name));
      Instance instance = e.component->create(context);
      if (!state.body.empty()) runtime::import_state(instance, state, options.limits);
      host.add(e.id, name, iface, std::move(instance));
      return;
    }
    internal::WireBuffer body;
    msgpack::packer<internal::WireBuffer> pk(body);
    pk.pack_array(6);
    pk.pack(name);
    pk.pack(e.id);
    pk.pack(location);
    pk.pack(config_of(name));
    pk.pack(std::string(iface.signature));
    if (state.body.empty()) pk.pack_nil();
    body.write(state.body.data(), state.body.size());
    rpc::Tail tail{state.landed ? std::shared_ptr<const void>(state.landed) : state.storage,
                   state.tail};
    runtime::call_remote(*peer_for(location), runtime::kControlComponent,
                         static_cast<std::uint32_t>(runtime::ControlMethod::instantiate),
                         std::move(body.bytes()), options.call_timeout,
                         "instantiate '" + name + "' on " + location, tail);
  }

  // Points the origin's cell of `e` at its instance at `location`.
  void bind_cell(const Entry& e, const std::string& location) {
    if (location == runtime::kOriginLocation) {
      std::shared_ptr<const runtime::HostedComponent> local = host.find(e.id);
      e.cell->bind(local->instance.owner, local->instance.self, Binding::local());
    } else {
      runtime::bind_remote(*e.cell, peer_for(location), e.id, *e.component->interface,
                           options.call_timeout);
    }
  }

  template <class... A>
  internal::Payload control_call(const std::string& location, runtime::ControlMethod method,
                                 const A&... args) {
    internal::WireBuffer body;
    internal::pack_args(body, args...);
    return runtime::call_remote(
        *peer_for(location), runtime::kControlComponent, static_cast<std::uint32_t>(method),
        std::move(body.bytes()), options.call_timeout,
        "control " + std::to_string(static_cast<int>(method)) + " on " + location);
  }

  TransitionReport relocate(const std::string& name, std::string target) {
    if (target == "local") target = runtime::kOriginLocation;
    if (target != runtime::kOriginLocation) rpc::split_address(target);  // refuse a malformed one
    resolve(name);
    std::lock_guard transition(transition_mu);
    Entry e;
    {
      std::lock_guard lock(mu);
      e = entries.at(name);
    }
    TransitionReport r;
    r.component = name;
    r.from = e.location;
    r.to = target;
    if (e.location == target) return r;
    const InterfaceEntry& iface = *e.component->interface;
    const auto start = rpc::Clock::now();
    const auto deadline = start + options.call_timeout;
    auto mark = start;
    auto step = [&](const char* what) {
      const auto now = rpc::Clock::now();
      r.steps.push_back({what, std::chrono::duration_cast<std::chrono::microseconds>(now - mark)});
      mark = now;
    };
    const bool from_origin = e.location == runtime::kOriginLocation;
    // Close the gate: the origin's callers wait in the gate proxy; remote callers are told
    // `moved` and wait for their refs to be rebound.
    const Binding old_binding = e.cell->binding();
    void* const old_target = e.cell->target();
    void* gate_self = nullptr;
    std::shared_ptr<void> gate = iface.make_gate(*e.cell, options.call_timeout, &gate_self);
    e.cell->bind(std::move(gate), gate_self, old_binding);
    internal::WireBuffer exported;  // the state's head, when it leaves the origin
    rpc::Tail tail;                 // the rest of it
    try {
      internal::Payload state;
      if (from_origin) {
        if (!internal::drain_local_calls(e.cell.get(), deadline) || !host.gate(e.id, deadline)) {
          throw UsageError("calls into '" + name + "' did not finish before the deadline");
        }
        step("gate and drain");
        runtime::export_state(host.find(e.id)->instance, exported, tail);
        state = internal::Payload{tail.owner, exported.bytes(), tail.bytes, nullptr};
        r.state_bytes = state.body.size() + state.tail.size();
      } else {
        control_call(e.location, runtime::ControlMethod::gate, e.id);
        step("gate and drain");
        state = control_call(e.location, runtime::ControlMethod::export_state, e.id);
        r.state_bytes = state.body.size() + state.tail.size();
        step("export");
      }
      create_at(target, name, e, state);
      step("instantiate and import");
    } catch (const std::exception& failure) {
      // Reopen at the old home: its instance still holds the state.
      try {
        if (from_origin) {
          try {
            if (auto home = host.find(e.id)) runtime::restore_state(home->instance, tail);
          } catch (const std::exception& lost) {
            spdlog::error("'{}' could not take its state back: {}", name, lost.what());
          }
          host.ungate(e.id);
        } else {
          control_call(e.location, runtime::ControlMethod::ungate, e.id);
        }
      } catch (const std::exception& again) {
        spdlog::error("reopening '{}' at {} failed too: {}", name, e.location, again.what());
      }
      e.cell->bind(nullptr, old_target, old_binding);
      // Nodes whose callers were told `moved` wait for a rebind: point them home again.
      push_directory(name, e.id, e.location, "");
      r.ok = false;
      r.error = failure.what();
      r.pause = std::chrono::duration_cast<std::chrono::microseconds>(rpc::Clock::now() - start);
      spdlog::warn("{}", r.to_string());
      return r;
    }
    try {
      if (from_origin) {
        host.retire(e.id, target);
      } else {
        control_call(e.location, runtime::ControlMethod::retire, e.id, target);
      }
    } catch (const std::exception& ex) {
      spdlog::warn("'{}' moved to {}, but retiring it at {} failed: {}", name, target, e.location,
                   ex.what());
    }
    bind_cell(e, target);
    // The old local instance drained its calls and left the host: free it and its state.
    if (from_origin) e.cell->release(old_target);
    step("rebind");
    r.pause = std::chrono::duration_cast<std::chrono::microseconds>(rpc::Clock::now() - start);
    {
      std::lock_guard lock(mu);
      entries.at(name).location = target;
    }
    push_directory(name, e.id, target, e.location);
    step("push directory");
    spdlog::info("{}", r.to_string());
    return r;
  }

  // Tells every node the origin talks to where `name` lives now. Best effort: a node that
  // misses it learns on its next call, which is answered `moved`.
  void push_directory(const std::string& name, std::uint32_t id, const std::string& location,
                      const std::string& skip) {
    std::vector<std::string> nodes;
    {
      std::lock_guard lock(peers_mu);
      for (const auto& [address, peer] : peers) {
        if (address != skip) nodes.push_back(address);
      }
    }
    for (const std::string& node : nodes) {
      try {
        control_call(node, runtime::ControlMethod::rebind, name, id, location);
      } catch (const std::exception& ex) {
        spdlog::warn("could not tell node {} that '{}' moved: {}", node, name, ex.what());
      }
    }
  }

  std::shared_ptr<rpc::Peer> peer_for(const std::string& address) {
    if (!secret) {
      throw UsageError("component placed on node " + address +
                       " but no cluster secret is set (--hatch-secret-file or Options::secret)");
    }
    std::lock_guard lock(peers_mu);
    auto& peer = peers[address];
    if (!peer) {
      rpc::ConnectionOptions copts;
      copts.limits = options.limits;
      peer = std::make_shared<rpc::Peer>(
          io.context(), address, *secret, rpc::PeerIdentity{"origin", incarnation}, copts,
          [this](const std::shared_ptr<rpc::Connection>& c, const rpc::FrameHeader& h,
                 internal::Payload p) { host.serve(c, h, std::move(p)); });
    }
    return peer;
  }

  runtime::Reply control(const std::shared_ptr<rpc::Connection>&, std::uint32_t method,
                         internal::Payload& request) {
    if (method != static_cast<std::uint32_t>(runtime::ControlMethod::resolve)) {
      return runtime::error_reply(StatusCode::permission_denied,
                                  "the origin takes only resolve requests from nodes");
    }
    msgpack::object_handle h = internal::unpack_untrusted(request.body, options.limits);
    auto [name] = h.get().as<std::tuple<std::string>>();
    std::shared_ptr<BindingCell> cell = resolve(name);
    std::lock_guard lock(mu);
    const Entry& e = entries.at(name);
    internal::WireBuffer out;
    msgpack::pack(out, std::make_tuple(e.id, std::string(cell->interface_name()), e.location));
    return runtime::Reply{StatusCode::ok, std::move(out.bytes())};
  }

  void stop() {
    std::map<std::string, std::shared_ptr<rpc::Peer>> closing;
    {
      std::lock_guard lock(peers_mu);
      closing.swap(peers);
    }
    for (auto& [address, peer] : closing) peer->close("the origin is stopping");
    io.stop();
  }

  const Catalog& catalog;
  const Options options;
  // Names this origin to nodes, so that a node can tell a new origin from a reconnecting one.
  const std::string incarnation = new_incarnation();
  std::optional<rpc::ClusterSecret> secret;
  rpc::IoPool io;
  runtime::Host host;
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, Entry> entries;  // guarded by mu
  std::uint32_t next_id = 1;             // guarded by mu
  std::mutex transition_mu;              // one transition at a time
  std::mutex peers_mu;
  std::map<std::string, std::shared_ptr<rpc::Peer>> peers;  // guarded by peers_mu
};

Origin::Origin(const Catalog& catalog, Options options)
    : impl_(std::make_unique<Impl>(catalog, std::move(options))) {}

Origin::~Origin() {
  impl_->stop();
}

std::shared_ptr<BindingCell> Origin::resolve(std::string_view name) {
  return impl_->resolve(name);
}

const Options& Origin::options() const noexcept {
  return impl_->options;
}

TransitionReport Origin::relocate(std::string_view name, std::string_view host) {
  return impl_->relocate(std::string(name), std::string(host));
}

std::vector<TransitionReport> Origin::apply(const Design& design) {
  std::vector<TransitionReport> reports;
  for (const auto& [name, placement] : design) {
    if (placement.kind != Placement::Kind::local && placement.kind != Placement::Kind::on) {
      throw UsageError("cannot apply " + placement.to_string() + " to '" + name +
                       "': only local and on(host) placements are supported so far");
    }
    reports.push_back(impl_->relocate(name, placement.kind == Placement::Kind::local
                                                ? std::string("local")
                                                : placement.hosts.front()));
  }
  return reports;
}

void Origin::stop() {
  impl_->stop();
}

}  // namespace hatch

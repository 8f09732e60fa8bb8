#include "hatch/origin.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>

#include "hatch/context.hpp"
#include "hatch/internal/codec.hpp"
#include "rpc/endpoint.hpp"
#include "rpc/io_pool.hpp"
#include "runtime/control.hpp"
#include "runtime/host.hpp"
#include "runtime/remote_component.hpp"

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
               std::span<const char> args) { return control(connection, method, args); });
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
    const InterfaceEntry& iface = *e.component->interface;
    if (e.location == runtime::kOriginLocation) {
      OriginContext context(*this, name, config_of(name));
      void* self = nullptr;
      std::shared_ptr<void> owner = e.component->create(context, &self);
      host.add(e.id, runtime::HostedComponent{name, &iface, owner, self});
      e.cell->bind(std::move(owner), self, Binding::local());
      spdlog::debug("created component '{}' (id {}) on the origin", name, e.id);
      return;
    }
    std::shared_ptr<rpc::Peer> peer = peer_for(e.location);
    internal::WireBuffer args;
    internal::pack_args(args, name, e.id, e.location, config_of(name),
                        std::string(iface.signature));
    runtime::call_remote(*peer, runtime::kControlComponent,
                         static_cast<std::uint32_t>(runtime::ControlMethod::instantiate),
                         std::move(args.bytes()), options.call_timeout,
                         "instantiate '" + name + "'");
    runtime::bind_remote(*e.cell, peer, e.id, iface, options.call_timeout);
    spdlog::info("created component '{}' (id {}) on node {}", name, e.id, e.location);
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
                 internal::Payload p) { host.serve(c, h, p); });
    }
    return peer;
  }

  runtime::Reply control(const std::shared_ptr<rpc::Connection>&, std::uint32_t method,
                         std::span<const char> args) {
    if (method != static_cast<std::uint32_t>(runtime::ControlMethod::resolve)) {
      return runtime::error_reply(StatusCode::permission_denied,
                                  "the origin takes only resolve requests from nodes");
    }
    msgpack::object_handle h = internal::unpack_untrusted(args, options.limits);
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

void Origin::stop() {
  impl_->stop();
}

}  // namespace hatch

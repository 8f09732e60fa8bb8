#include "runtime/placement_binding.hpp"

#include <algorithm>

#include "hatch/error.hpp"
#include "hatch/internal/local_calls.hpp"
#include "primitives/local_target.hpp"
#include "primitives/replicated_target.hpp"
#include "primitives/sharded_target.hpp"
#include "runtime/control.hpp"
#include "runtime/remote_component.hpp"

namespace hatch::runtime {

std::vector<std::string> homes_of(const Placement& placement) {
  if (placement.kind == Placement::Kind::local) return {kOriginLocation};
  std::vector<std::string> homes;
  for (const std::string& host : placement.hosts) {
    homes.push_back(host == "local" ? std::string(kOriginLocation) : host);
  }
  return homes;
}

Placement placement_of(Placement::Kind kind, const std::vector<std::string>& homes) {
  Placement p;
  p.kind = kind;
  if (kind == Placement::Kind::local) return p;
  if (kind == Placement::Kind::on && homes.size() == 1 && homes.front() == kOriginLocation) {
    return Placement::local();
  }
  for (const std::string& home : homes) p.hosts.push_back(home == kOriginLocation ? "local" : home);
  return p;
}

Placement without_home(const Placement& placement, const std::string& home) {
  std::vector<std::string> rest;
  for (const std::string& h : homes_of(placement)) {
    if (h != home) rest.push_back(h);
  }
  const bool on_origin =
      std::find(rest.begin(), rest.end(), std::string(kOriginLocation)) != rest.end();
  if (placement.kind == Placement::Kind::sharded && !on_origin) {
    rest = homes_of(placement);
    std::replace(rest.begin(), rest.end(), home, std::string(kOriginLocation));
  }
  if (rest.empty()) return Placement::local();
  if (rest.size() == 1) return placement_of(Placement::Kind::on, rest);
  return placement_of(placement.kind, rest);
}

namespace {

// What a remote target of `name` at `home` calls when it finds its instance gated.
std::function<void()> stale_report(const Reach& reach, const std::string& name, std::uint32_t id,
                                   const std::string& home) {
  if (!reach.stale_home) return {};
  return [report = reach.stale_home, name, id, home] { report(name, id, home); };
}

// Binds the instance itself, or, in a process that keeps metrics, a proxy that counts its
// calls per method (internal/local_calls.hpp).
void bind_local(BindingCell& cell, const InterfaceEntry& iface, const Instance& instance,
                const std::string& name, const std::shared_ptr<internal::Metrics>& metrics) {
  if (!metrics) {
    cell.bind(instance.owner, instance.self, Binding::local());
    return;
  }
  void* self = nullptr;
  std::shared_ptr<void> counter = iface.make_counter(
      instance.owner, instance.self,
      std::make_shared<internal::LocalCalls>(metrics, name, iface.methods.size()), &self);
  cell.bind(std::move(counter), self, Binding::local(), instance.self);
}

}  // namespace

void bind_placement(BindingCell& cell, const ComponentEntry& component, std::uint32_t id,
                    const Placement& placement, const Reach& reach) {
  const InterfaceEntry& iface = *component.interface;
  const std::vector<std::string> homes = homes_of(placement);
  if (homes.size() == 1 && placement.kind != Placement::Kind::replicated &&
      placement.kind != Placement::Kind::sharded) {
    if (homes.front() == reach.self) {
      std::shared_ptr<const HostedComponent> local = reach.host.find(id);
      if (!local) {
        throw UsageError("component '" + component.name + "' should be on " + reach.self +
                         " but is not");
      }
      bind_local(cell, iface, local->instance, component.name, reach.metrics);
    } else {
      bind_remote(cell, reach.endpoint_for(homes.front()), id, iface, reach.timeout,
                  stale_report(reach, component.name, id, homes.front()),
                  CallCounting{reach.metrics, component.name});
    }
    return;
  }
  std::vector<std::shared_ptr<internal::CallTarget>> targets;
  for (const std::string& home : homes) {
    if (home == reach.self) {
      const Host& host = reach.host;
      targets.push_back(std::make_shared<primitives::LocalTarget>(
          [&host](std::uint32_t component, std::uint32_t method, internal::Payload& request) {
            rpc::FrameHeader header;
            header.component = component;
            header.method = method;
            Reply reply = host.execute(nullptr, header, request);
            return std::make_pair(reply.status, std::move(reply.body));
          },
          id, iface, reach.timeout, reach.self));
    } else {
      targets.push_back(
          std::make_shared<RemoteComponent>(reach.endpoint_for(home), id, iface, reach.timeout,
                                            stale_report(reach, component.name, id, home),
                                            CallCounting{reach.metrics, component.name}));
    }
  }
  std::shared_ptr<internal::CallTarget> target;
  Binding binding;
  binding.hosts = homes;
  if (placement.kind == Placement::Kind::sharded) {
    target = std::make_shared<primitives::ShardedTarget>(std::move(targets), iface);
    binding.kind = Binding::Kind::sharded;
  } else {
    primitives::ReplicatedTarget::LostReplica lost;
    if (reach.lost_replica) {
      lost = [report = reach.lost_replica, name = component.name](const std::string& home) {
        report(name, home);
      };
    }
    target = std::make_shared<primitives::ReplicatedTarget>(
        std::move(targets), homes, iface, component.kind != StateKind::stateless, std::move(lost));
    binding.kind = Binding::Kind::replicated;
  }
  void* self = nullptr;
  std::shared_ptr<void> proxy = iface.make_proxy(std::move(target), cell, &self);
  cell.bind(std::move(proxy), self, std::move(binding));
}

}  // namespace hatch::runtime

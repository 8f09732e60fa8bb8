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

std::vector<std::vector<std::string>> replica_sets(const Placement& placement) {
  if (placement.kind == Placement::Kind::local) return {{std::string(kOriginLocation)}};
  std::vector<std::vector<std::string>> sets = placement.shards();
  for (std::vector<std::string>& set : sets) {
    std::replace(set.begin(), set.end(), std::string("local"), std::string(kOriginLocation));
  }
  return sets;
}

Placement placement_of_sets(Placement::Kind kind,
                            const std::vector<std::vector<std::string>>& sets) {
  std::vector<std::string> homes;
  std::vector<std::uint32_t> sizes;
  bool replicas = false;
  for (const std::vector<std::string>& set : sets) {
    homes.insert(homes.end(), set.begin(), set.end());
    sizes.push_back(static_cast<std::uint32_t>(set.size()));
    replicas = replicas || set.size() > 1;
  }
  if (homes.empty()) return Placement::local();
  if (homes.size() == 1) return placement_of(Placement::Kind::on, homes);
  if (kind != Placement::Kind::sharded || sets.size() < 2) {
    return placement_of(Placement::Kind::replicated, homes);
  }
  Placement p = placement_of(Placement::Kind::sharded, homes);
  if (replicas) p.shard_replicas = std::move(sizes);
  return p;
}

bool has_fellow_replica(const Placement& placement, const std::string& home) {
  if (placement.kind != Placement::Kind::replicated && placement.kind != Placement::Kind::sharded) {
    return false;
  }
  for (const std::vector<std::string>& set : replica_sets(placement)) {
    if (set.size() > 1 && std::find(set.begin(), set.end(), home) != set.end()) return true;
  }
  return false;
}

Placement without_home(const Placement& placement, const std::string& home) {
  const std::vector<std::string> all = homes_of(placement);
  const bool origin_holds_one =
      std::find(all.begin(), all.end(), std::string(kOriginLocation)) != all.end();
  std::vector<std::vector<std::string>> sets;
  for (std::vector<std::string> set : replica_sets(placement)) {
    const auto it = std::find(set.begin(), set.end(), home);
    if (it != set.end()) {
      // A shard of one host keeps its place in the shard order on the origin.
      const bool keep_shard = placement.kind == Placement::Kind::sharded && set.size() == 1;
      if (keep_shard && !origin_holds_one) {
        *it = kOriginLocation;
      } else {
        set.erase(it);
      }
    }
    if (!set.empty()) sets.push_back(std::move(set));
  }
  return placement_of_sets(placement.kind, sets);
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
  const auto target_at = [&](const std::string& home) -> std::shared_ptr<internal::CallTarget> {
    if (home != reach.self) {
      return std::make_shared<RemoteComponent>(reach.endpoint_for(home), id, iface, reach.timeout,
                                               stale_report(reach, component.name, id, home),
                                               CallCounting{reach.metrics, component.name});
    }
    const Host& host = reach.host;
    return std::make_shared<primitives::LocalTarget>(
        [&host](std::uint32_t component, std::uint32_t method, internal::Payload& request) {
          rpc::FrameHeader header;
          header.component = component;
          header.method = method;
          Reply reply = host.execute(nullptr, header, request);
          return std::make_pair(reply.status, std::move(reply.body));
        },
        id, iface, reach.timeout, reach.self);
  };
  const auto replicas_at =
      [&](const std::vector<std::string>& set) -> std::shared_ptr<internal::CallTarget> {
    if (set.size() == 1) return target_at(set.front());
    std::vector<std::shared_ptr<internal::CallTarget>> targets;
    for (const std::string& home : set) targets.push_back(target_at(home));
    primitives::ReplicatedTarget::LostReplica lost;
    if (reach.lost_replica) {
      lost = [report = reach.lost_replica, name = component.name](const std::string& home) {
        report(name, home);
      };
    }
    return std::make_shared<primitives::ReplicatedTarget>(
        std::move(targets), set, iface, component.kind != StateKind::stateless, std::move(lost));
  };
  std::shared_ptr<internal::CallTarget> target;
  Binding binding;
  binding.hosts = homes;
  if (placement.kind == Placement::Kind::sharded) {
    // Each shard is one home, or a replica set with its own primary.
    std::vector<std::shared_ptr<internal::CallTarget>> shards;
    for (const std::vector<std::string>& set : replica_sets(placement)) {
      shards.push_back(replicas_at(set));
    }
    target = std::make_shared<primitives::ShardedTarget>(std::move(shards), iface);
    binding.kind = Binding::Kind::sharded;
  } else {
    target = replicas_at(homes);
    binding.kind = Binding::Kind::replicated;
  }
  void* self = nullptr;
  std::shared_ptr<void> proxy = iface.make_proxy(std::move(target), cell, &self);
  cell.bind(std::move(proxy), self, std::move(binding));
}

}  // namespace hatch::runtime

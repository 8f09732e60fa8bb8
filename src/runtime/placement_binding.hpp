// Binding a ref's cell to a component wherever its placement puts it, in the origin and on
// nodes alike: directly to the instance when it is in this process alone, through a remote
// proxy when it is on one other host, and through a replicated or sharded target over one
// target per home otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hatch/catalog.hpp"
#include "hatch/internal/binding_cell.hpp"
#include "hatch/placement.hpp"
#include "rpc/endpoint.hpp"
#include "runtime/host.hpp"

namespace hatch::runtime {

// Where a placement's instances live, in the runtime's terms: "origin" (kOriginLocation) or a
// node's address, the primary of a replicated component first, shards in shard order.
std::vector<std::string> homes_of(const Placement& placement);

// The placement whose homes are `homes` ("origin" is local).
Placement placement_of(Placement::Kind kind, const std::vector<std::string>& homes);

// The homes as replica sets, each with its primary first: one set per shard of a sharded
// placement, and one set of every home for any other (a single home is a set of one). The
// transition engine and failover handle every placement as such sets.
std::vector<std::vector<std::string>> replica_sets(const Placement& placement);

// The placement of kind `kind` over `sets` (homes as replica_sets gives them): none is local,
// one home is on(h) or local, one set of several is replicated, and several sets of a sharded
// kind are sharded, with replicated shards where a set has more than one home.
Placement placement_of_sets(Placement::Kind kind,
                            const std::vector<std::vector<std::string>>& sets);

// Whether `home` holds a replica of `placement` beside which another replica of the same set
// holds the same state: a replicated home, or a member of a replicated shard.
bool has_fellow_replica(const Placement& placement, const std::string& home);

// `placement` without `home`, for a node that leaves: a single home becomes the origin, a
// replica set (replicated, or one shard's) loses that replica, and a shard of one host gets
// the origin in its place, or is dropped when the origin holds a shard already.
Placement without_home(const Placement& placement, const std::string& home);

// What this process needs to reach a component's homes.
struct Reach {
  const Host& host;  // this process's instances
  std::string self;  // this process's location
  std::function<std::shared_ptr<rpc::Endpoint>(const std::string& location)> endpoint_for;
  std::chrono::milliseconds timeout;
  // Told when a replica of component `name` at `home` cannot be reached. May be empty.
  std::function<void(const std::string& name, const std::string& home)> lost_replica;
  // Told when `home`, a home of component `name`'s placement, answers a call for instance `id`
  // with `moved` and no new home: it is gated, which is right only while a transition runs.
  // May be empty.
  std::function<void(const std::string& name, std::uint32_t id, const std::string& home)>
      stale_home;
  // Where calls to remote homes are counted (core/metrics.hpp). May be null: not counted.
  std::shared_ptr<internal::Metrics> metrics;
};

// Points `cell` at component `id` of `component`, placed at `placement`. Throws UsageError
// when an instance that should be in this process is not.
void bind_placement(BindingCell& cell, const ComponentEntry& component, std::uint32_t id,
                    const Placement& placement, const Reach& reach);

}  // namespace hatch::runtime

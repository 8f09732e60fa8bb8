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

// `placement` without `home`, for a node that leaves: a single home becomes the origin, a
// replicated set loses that replica (on(h) when one is left), and a sharded set gets the
// origin in its place, or loses the shard when the origin holds one already.
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

// Which placements a component allows: one rule, read by Origin::apply before anything moves
// and by the design space when it lists a component's options.
//
//   local, on(h)      every component
//   replicated{...}   every component: a stateless one is load-balanced, a stateful or keyed one
//                     is primary-backup
//   sharded{...}      a keyed component (KeyedState) whose every read has a shard key or a merge
//                     policy that combines the shards' results (merge_custom is not supported)
//
// The design space offers one form of placement over several hosts per component, the one that
// spreads the most: sharded where the rule allows it (reads, writes and state all split by key),
// replicated otherwise. A keyed component can still be replicated through Origin::apply.
#pragma once

#include <string>

#include "hatch/placement.hpp"
#include "hatch/state.hpp"

namespace hatch {

struct ComponentEntry;

struct PlacementRule {
  std::string component;
  StateKind kind = StateKind::stateless;
  std::string cannot_shard;  // why sharding is refused; empty when it is allowed

  // The rule of a catalog entry: its kind from its state base, its shardability from its
  // interface's shard keys and merge policies.
  static PlacementRule of(const ComponentEntry& component);
  // The rule of a modelled component (the simulator's), whose reads all shard: a keyed one
  // may be sharded.
  static PlacementRule of_kind(std::string component, StateKind kind);

  bool allows_sharding() const noexcept { return cannot_shard.empty(); }
  // The form of placement over several hosts the design space offers this component.
  Placement::Kind set_kind() const noexcept {
    return allows_sharding() ? Placement::Kind::sharded : Placement::Kind::replicated;
  }
  // Throws UsageError naming the component and the reason when `placement` is not allowed.
  void check(const Placement& placement) const;
};

}  // namespace hatch

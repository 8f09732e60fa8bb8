#include "hatch/placement_rule.hpp"

#include "hatch/catalog.hpp"
#include "hatch/error.hpp"

namespace hatch {
namespace {

std::string not_keyed(StateKind kind) {
  return std::string("sharding splits a keyed state (KeyedState), and its state is ") +
         (kind == StateKind::stateful ? "one whole (StatefulState)" : "nothing (stateless)");
}

}  // namespace

PlacementRule PlacementRule::of(const ComponentEntry& component) {
  PlacementRule rule{component.name, component.kind, {}};
  if (component.kind != StateKind::keyed) {
    rule.cannot_shard = not_keyed(component.kind);
    return rule;
  }
  const std::string iface(component.interface->name);
  for (const MethodInfo& m : component.interface->methods) {
    if (m.shard_key >= 0 || m.semantics == Semantics::write) continue;
    if (m.merge == MergePolicy::none) {
      rule.cannot_shard = "its read " + iface + "::" + std::string(m.name) +
                          " has no shard key and no merge policy to combine the shards' results";
      return rule;
    }
    if (m.merge == MergePolicy::custom) {
      rule.cannot_shard =
          iface + "::" + std::string(m.name) + " asks for merge_custom, which is not supported yet";
      return rule;
    }
  }
  return rule;
}

PlacementRule PlacementRule::of_kind(std::string component, StateKind kind) {
  PlacementRule rule{std::move(component), kind, {}};
  if (kind != StateKind::keyed) rule.cannot_shard = not_keyed(kind);
  return rule;
}

void PlacementRule::check(const Placement& placement) const {
  if (placement.kind == Placement::Kind::sharded && !allows_sharding()) {
    throw UsageError("cannot shard '" + component + "': " + cannot_shard);
  }
}

}  // namespace hatch

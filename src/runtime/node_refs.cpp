#include "runtime/node_refs.hpp"

#include <tuple>
#include <vector>

#include "hatch/internal/call_tracker.hpp"

namespace hatch::runtime {

Placement read_placement(std::uint8_t kind, const std::vector<std::string>& homes,
                         const std::vector<std::uint32_t>& shard_replicas) {
  const auto not_one = [&](const std::string& why) {
    return UsageError("a placement of kind " + std::to_string(kind) + " with " +
                      std::to_string(homes.size()) + " homes is not one: " + why);
  };
  if (kind > static_cast<std::uint8_t>(Placement::Kind::sharded) || homes.empty()) {
    throw not_one("no such kind, or no home");
  }
  if (shard_replicas.empty()) return placement_of(static_cast<Placement::Kind>(kind), homes);
  if (kind != static_cast<std::uint8_t>(Placement::Kind::sharded) || shard_replicas.size() < 2) {
    throw not_one("only two shards or more have replicas");
  }
  std::vector<std::vector<std::string>> sets;
  std::size_t next = 0;
  for (std::uint32_t size : shard_replicas) {
    if (size == 0 || size > homes.size() - next) throw not_one("the shards' sizes do not add up");
    sets.emplace_back(homes.begin() + next, homes.begin() + next + size);
    next += size;
  }
  if (next != homes.size()) throw not_one("the shards' sizes do not add up");
  return placement_of_sets(Placement::Kind::sharded, sets);
}

NodeRefs::NodeRefs(const Catalog& catalog, const Host& host,
                   std::shared_ptr<internal::CallMeter> meter, std::chrono::milliseconds timeout,
                   Hooks hooks)
    : catalog_(catalog),
      host_(host),
      meter_(std::move(meter)),
      timeout_(timeout),
      hooks_(std::move(hooks)) {}

std::shared_ptr<BindingCell> NodeRefs::resolve(const std::string& name) {
  {
    MutexLock lock(mu_);
    if (auto it = refs_.find(name); it != refs_.end()) return it->second.cell;
  }
  const ComponentEntry* component = catalog_.find(name);
  if (component == nullptr) {
    throw UsageError(host_.name() + " has no component named '" + name + "' in its binary");
  }
  const ResolveReply where = hooks_.resolve_at_origin(name);
  const Placement placement = read_placement(where.kind, where.homes, where.shard_replicas);
  auto cell = std::make_shared<BindingCell>(name, component->interface->name, meter_);
  bind(*cell, name, where.id, placement);
  MutexLock lock(mu_);
  return refs_.emplace(name, Ref{cell, where.id, placement}).first->second.cell;
}

bool NodeRefs::gate_local(std::uint32_t id, std::chrono::steady_clock::time_point deadline) {
  std::vector<std::shared_ptr<BindingCell>> cells;
  {
    MutexLock lock(mu_);
    for (auto& [name, ref] : refs_) {
      if (ref.id == id && ref.cell->binding().kind == Binding::Kind::local)
        cells.push_back(ref.cell);
    }
  }
  std::shared_ptr<const HostedComponent> c = host_.find(id);
  if (!c) return true;
  for (const auto& cell : cells) {
    void* self = nullptr;
    std::shared_ptr<void> gate = c->interface->make_gate(*cell, timeout_, &self);
    cell->bind(std::move(gate), self, cell->binding());
    if (!internal::drain_local_calls(cell.get(), deadline)) return false;
  }
  return true;
}

void NodeRefs::rebind(std::uint32_t old_id, std::uint32_t new_id, const Placement& placement) {
  std::vector<std::pair<std::string, std::shared_ptr<BindingCell>>> cells;
  {
    MutexLock lock(mu_);
    for (auto& [name, ref] : refs_) {
      if (ref.id == old_id) {
        ref.id = new_id;
        ref.placement = placement;
        cells.emplace_back(name, ref.cell);
      }
    }
  }
  for (auto& [name, cell] : cells) bind(*cell, name, new_id, placement);
}

void NodeRefs::rebind_home(std::uint32_t id) {
  std::vector<std::tuple<std::string, std::shared_ptr<BindingCell>, Placement>> cells;
  {
    MutexLock lock(mu_);
    for (auto& [name, ref] : refs_) {
      if (ref.id == id) cells.emplace_back(name, ref.cell, ref.placement);
    }
  }
  for (auto& [name, cell, placement] : cells) bind(*cell, name, id, placement);
}

void NodeRefs::release(std::uint32_t id, const void* target) {
  MutexLock lock(mu_);
  for (auto& [name, ref] : refs_) {
    if (ref.id == id) ref.cell->release(target);
  }
}

void NodeRefs::clear() {
  MutexLock lock(mu_);
  refs_.clear();
}

void NodeRefs::bind(BindingCell& cell, const std::string& name, std::uint32_t id,
                    const Placement& placement) {
  const Reach reach{host_,         hooks_.self(),       hooks_.endpoint_for,
                    timeout_,      hooks_.lost_replica, hooks_.stale_home,
                    hooks_.metrics};
  bind_placement(cell, *catalog_.find(name), id, placement, reach);
}

}  // namespace hatch::runtime

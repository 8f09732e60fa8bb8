// The one transition engine: how the origin moves a component from one placement to another,
// written once over Home (runtime/home.hpp), for every pair of placements.
//
//   1. The origin's own ref cell is gated: its callers wait for the rebind.
//   2. Gate: every old home closes its gate and drains its calls. The homes are taken as
//      replica sets (runtime::replica_sets: a replicated component is one set, each shard of a
//      sharded one is a set, a single home a set of one). The primary of every set of several
//      goes first, so that the writes it is forwarding reach its backups before they close;
//      the other homes then gate at once. A replica that cannot be reached leaves its set, as
//      long as the set keeps one; any other failure abandons the transition.
//   3. Export: from one replica of every set at once: a stateful state whole, a keyed one as
//      entries when either side is sharded (in a resharding between plain shards, only the
//      entries whose shard changes).
//   4. Instantiate: every new home at once, each with its share of the state (every replica
//      of a shard holds that shard's entries); then each new set's primary learns its backups.
//   5. Retire: every old home at once leaves a tombstone that answers `moved`.
//   6. Complete: the origin's cell is rebound, the directory committed and pushed to nodes.
// A failure in 2-4 abandons: the new instances are removed, every home that was sent a gate is
// sent an ungate (answered or not: a gate may have run although its answer was lost), and the
// origin's cell points at the old placement again.
//
// A move between single homes (local or one node) keeps the component's id; any other
// transition gives it a new one, so that no call can reach an instance of the other placement
// under the same id.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "hatch/catalog.hpp"
#include "hatch/internal/binding_cell.hpp"
#include "hatch/placement.hpp"
#include "hatch/transition.hpp"
#include "runtime/home.hpp"

namespace hatch::runtime {

// A component as the origin's directory knows it.
struct ComponentRecord {
  std::uint32_t id = 0;
  const ComponentEntry* component = nullptr;
  std::shared_ptr<BindingCell> cell;  // the origin's
  Placement placement;
  bool ready = false;       // created
  std::thread::id creator;  // the thread creating it, while !ready
};

// What a component's placement should become, planned from its record as it is when the move
// would start; none when nothing is to move. A move made on a report (a replica lost, a node
// leaving) plans this way, so that it never undoes a transition that ran since the report.
using TransitionPlan = std::function<std::optional<Placement>(const ComponentRecord& now)>;

// What the engine needs of the origin.
struct TransitionEnv {
  // The home at "origin" or a node's address. Throws UsageError for a malformed address.
  std::function<Home&(const std::string& location)> home;
  std::function<std::uint32_t()> new_id;
  std::function<ConfigMap(const std::string& name)> config_of;
  // Points the origin's cell of `record` at its placement.
  std::function<void(const ComponentRecord& record)> bind;
  // Records `next` in the directory and tells every node that `old_id` became `next`.
  std::function<void(const std::string& name, std::uint32_t old_id, const ComponentRecord& next)>
      commit;
  std::chrono::milliseconds timeout;
  internal::WireLimits limits;
};

// Moves component `name` (now `from`) to `to`, under transition `epoch` (unique, increasing).
// Never throws for a failed move: the report says what failed, and the component stays at
// `from`. Requires that no other transition of the component runs.
TransitionReport run_transition(const TransitionEnv& env, const std::string& name,
                                const ComponentRecord& from, const Placement& to,
                                std::uint64_t epoch);

// Creates component `name` at every home of `record.placement` at once, without state. On a
// failure, removes what was created and throws.
void create_component(const TransitionEnv& env, const std::string& name,
                      const ComponentRecord& record);

}  // namespace hatch::runtime

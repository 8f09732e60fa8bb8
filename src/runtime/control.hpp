// The control operations, served as methods of the reserved component id 0. All but resolve
// are orders from the origin to a node, refused from any other peer.
//
//   instantiate [name, id, node_name, config, signature, state(, old_id, new_homes)] → nil
//               create component `id` (loading `state`, a state blob, unless it is empty); in
//               a resharding, also with the entries of `old_id` that stay on this node

//   gate        [id] → nil       close the gate of `id` and wait for its calls to drain
//   ungate      [id] → nil       open it again (a move was abandoned)
//   export      [id(, new_homes)] → state   the state blob of a gated component; in a
//               resharding to `new_homes`, only the entries that leave this node
//   retire      [id, where] → nil    drop `id`; calls are answered `moved` to `where`
//   remove      [id] → nil           drop `id` without a trace (a failed transition's instance)
//   set_backups [id, homes] → nil    make `id` a primary that forwards its writes to `homes`
//   rebind      [name, old_id, new_id, kind, homes] → nil
//               the directory changed: `name` (was `old_id`) is `new_id`, placed as `kind`
//               (Placement::Kind) at `homes`
//   resolve     [name] → [id, interface, kind, homes]      node → origin
//   replica_lost [name, home, missed_writes] → nil   node → origin: a replica of `name` at
//               `home` did not answer; the origin takes it out of the set if it cannot reach it,
//               or in any case when its primary dropped it (`missed_writes`)
//   metrics     [on] → [[caller, callee, calls, total_ms], ...]   turn the measuring of calls
//               between components on or off, and return what was measured since the last
//               metrics order (internal/call_meter.hpp)
//
// A home is "origin" or the address of the node that hosts an instance; a replicated
// component's primary comes first, a sharded one's shards in shard order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hatch::runtime {

enum class ControlMethod : std::uint32_t {
  instantiate = 1,
  resolve = 2,
  gate = 3,
  ungate = 4,
  export_state = 5,
  retire = 6,
  rebind = 7,
  remove = 8,
  set_backups = 9,
  replica_lost = 10,
  metrics = 11,
};

// The operation's name, as the table above spells it.
constexpr const char* to_string(ControlMethod method) {
  switch (method) {
    case ControlMethod::instantiate:
      return "instantiate";
    case ControlMethod::resolve:
      return "resolve";
    case ControlMethod::gate:
      return "gate";
    case ControlMethod::ungate:
      return "ungate";
    case ControlMethod::export_state:
      return "export";
    case ControlMethod::retire:
      return "retire";
    case ControlMethod::rebind:
      return "rebind";
    case ControlMethod::remove:
      return "remove";
    case ControlMethod::set_backups:
      return "set_backups";
    case ControlMethod::replica_lost:
      return "replica_lost";
    case ControlMethod::metrics:
      return "metrics";
  }
  return "unknown";
}

inline constexpr const char* kOriginLocation = "origin";

// A resharding of a keyed component: its instance `old_id` here keeps the entries that stay.
struct Reshard {
  Reshard(std::uint32_t old, std::vector<std::string> homes)
      : old_id(old), new_homes(std::move(homes)) {}
  std::uint32_t old_id;
  std::vector<std::string> new_homes;  // shard i at new_homes[i]
};

}  // namespace hatch::runtime

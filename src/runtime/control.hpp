// The control operations, served as methods of the reserved component id 0. All but resolve
// are orders from the origin to a node, refused from any other peer.
//
//   instantiate [name, id, node_name, config, signature, state] → nil
//               create component `id` (loading `state`, a state blob, unless it is empty)
//   gate        [id] → nil       close the gate of `id` and wait for its calls to drain
//   ungate      [id] → nil       open it again (a move was abandoned)
//   export      [id] → state     the state blob of a gated component
//   retire      [id, where] → nil    drop `id`; calls are answered `moved` to `where`
//   remove      [id] → nil           drop `id` without a trace (a failed transition's instance)
//   set_backups [id, homes] → nil    make `id` a primary that forwards its writes to `homes`
//   rebind      [name, old_id, new_id, kind, homes] → nil
//               the directory changed: `name` (was `old_id`) is `new_id`, placed as `kind`
//               (Placement::Kind) at `homes`
//   resolve     [name] → [id, interface, kind, homes]      node → origin
//
// A home is "origin" or the address of the node that hosts an instance; a replicated
// component's primary comes first, a sharded one's shards in shard order.
#pragma once

#include <cstdint>

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
};

inline constexpr const char* kOriginLocation = "origin";

}  // namespace hatch::runtime

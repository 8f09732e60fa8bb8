// The control operations, served as methods of the reserved component id 0. All but resolve
// are orders from the origin to a node, refused from any other peer.
//
//   instantiate [name, id, node_name, config, signature, state] → nil
//               create component `id` (loading `state`, a state blob, unless it is empty)
//   gate        [id] → nil       close the gate of `id` and wait for its calls to drain
//   ungate      [id] → nil       open it again (a move was abandoned)
//   export      [id] → state     the state blob of a gated component
//   retire      [id, location] → nil   drop `id`; calls are answered `moved` to `location`
//   rebind      [name, id, location] → nil   the directory changed: `name` lives at `location`
//   resolve     [name] → [id, interface, location]      node → origin
//
// `location` is "origin" or the node address that hosts the component.
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
};

inline constexpr const char* kOriginLocation = "origin";

}  // namespace hatch::runtime

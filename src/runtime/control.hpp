// The control operations, served as methods of the reserved component id 0.
//
//   instantiate [name, id, node_name, config, signature] → nil    origin → node only
//   resolve     [name] → [id, interface, location]                 node → origin
//
// `location` is "origin" or the node address that hosts the component.
#pragma once

#include <cstdint>

namespace hatch::runtime {

enum class ControlMethod : std::uint32_t {
  instantiate = 1,
  resolve = 2,
};

inline constexpr const char* kOriginLocation = "origin";

}  // namespace hatch::runtime

// A component's state as it travels in a transition: one msgpack value,
//   [0]                       stateless: nothing to move
//   [1, bin]                  stateful: the bytes of save_state()
//   [2, [[key, bin], ...]]    keyed: the entries of export_entries()
#pragma once

#include <span>
#include <string>

#include "hatch/catalog.hpp"
#include "hatch/internal/wire_limits.hpp"

namespace hatch::runtime {

// Packs the state of `instance`. Requires its calls to have drained.
std::string export_state(const Instance& instance);

// Loads `blob` (from export_state) into a fresh `instance` of the same component. Throws
// UsageError when the blob does not fit the component's kind or does not decode.
void import_state(const Instance& instance, std::span<const char> blob,
                  const internal::WireLimits& limits);

}  // namespace hatch::runtime

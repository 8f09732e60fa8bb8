// A component's state as it travels in a transition: one msgpack value,
//   [0]                       stateless: nothing to move
//   [1, bin]                  stateful: the bytes of save_state()
//   [2, [[key, bin], ...]]    keyed: the entries of export_entries()
// It is packed straight into the frame that carries it, and loaded from a view into the
// received frame, so a large state is copied as few times as the contracts allow.
#pragma once

#include <span>
#include <string>

#include "hatch/catalog.hpp"
#include "hatch/internal/msgpack.hpp"
#include "hatch/internal/wire_buffer.hpp"
#include "hatch/internal/wire_limits.hpp"
#include "rpc/connection.hpp"

namespace hatch::runtime {

// Appends the state of `instance` to `out`, for a move. Requires its calls to have drained.
// A stateful component's bytes are not copied into `out`: they go to `tail`, which must follow
// `out` on the wire (see rpc::Tail).
void export_state(const Instance& instance, internal::WireBuffer& out, rpc::Tail& tail);

// Gives `instance` back the state that export_state() took into `tail`, after a failed move.
void restore_state(const Instance& instance, const rpc::Tail& tail);

// Loads `state` (made by export_state) into a fresh `instance` of the same component. Throws
// UsageError when it does not fit the component's kind or does not decode.
void import_state(const Instance& instance, const msgpack::object& state);
void import_state(const Instance& instance, std::span<const char> state,
                  const internal::WireLimits& limits);

}  // namespace hatch::runtime

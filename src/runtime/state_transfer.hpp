// A component's state as it travels in a transition: one msgpack value,
//   [0]                       stateless: nothing to move
//   [1, n]                    stateful: the n bytes of take_state(), in the frame's tail
//   [2, [[key, bin], ...]]    keyed: the entries of export_entries()
// It is packed straight into the frame that carries it. A stateful component's bytes travel as
// the frame's raw tail: they leave from the component's own buffer, a large tail lands in a
// buffer of its own (rpc::Connection), and that buffer becomes the new instance's state, so
// the bytes are never copied in user space.
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

// The entries of a keyed state that export_state packed. Throws UsageError when it does not
// decode as one.
StateEntries decode_entries(std::span<const char> packed, const internal::WireLimits& limits);

// Packs `entries` as export_state packs a keyed state: all of them when `shard` < 0, else only
// those whose key falls in shard `shard` of `shards` (internal::jump_hash).
std::string pack_entries(const StateEntries& entries, int shard, std::uint32_t shards);

// For a resharding to `new_homes` (shard i at new_homes[i]): the entries of a keyed `instance`
// at `home` that stay there (`staying`) or that leave it (otherwise).
StateEntries resharded_entries(const Instance& instance, const std::vector<std::string>& new_homes,
                               const std::string& home, bool staying);

// Gives `instance` back the state that export_state() took into `tail`, after a failed move.
void restore_state(const Instance& instance, const rpc::Tail& tail);

// Loads `state` (made by export_state) into a fresh `instance` of the same component; a
// stateful component's bytes are taken from `tail`'s tail. Throws UsageError when it does not
// fit the component's kind or does not decode.
void import_state(const Instance& instance, const msgpack::object& state, internal::Payload& tail);
// The same, for a state that is a whole payload: its body, then its tail.
void import_state(const Instance& instance, internal::Payload& state,
                  const internal::WireLimits& limits);

}  // namespace hatch::runtime

// State contracts: how a component's state travels when the component moves.
//
// A component without either base is stateless: moving it just creates a fresh instance. A
// stateful component saves and loads its whole state; a keyed one exposes it as key -> value
// entries, which later lets sharding split and merge it. Both are called only while the
// component's gate is closed and its calls have drained, so no call runs concurrently.
//
//   class Counter final : public CounterApi, public hatch::StatefulState {
//     hatch::Bytes save_state() override { return hatch::to_bytes(counts_); }
//     void load_state(hatch::Bytes b) override { counts_ = hatch::from_bytes<Counts>(b); }
//   };
//
// hatch::to_bytes / from_bytes (hatch/component.hpp) pack any wire type with msgpack. State is
// bounded by the frame limit (WireLimits::max_frame_bytes).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "hatch/wire_type.hpp"

namespace hatch {

class StatefulState {
 public:
  virtual ~StatefulState() = default;
  // The whole state.
  virtual Bytes save_state() = 0;
  // The whole state, for a move: the instance is dropped afterwards, unless the move fails,
  // and then load_state() gives the state back. The default copies (save_state()); a component
  // with a large state can move it out instead, sparing a copy during the pause.
  virtual Bytes take_state() { return save_state(); }
  // Replaces the state with `state` from save_state() or take_state(): on a freshly created
  // instance at the new home, or on the old instance when a move fails after take_state(). It
  // is passed by value: move it into place to avoid copying a large state once more.
  virtual void load_state(Bytes state) = 0;
};

using StateEntries = std::vector<std::pair<std::string, Bytes>>;

class KeyedState {
 public:
  virtual ~KeyedState() = default;
  // Every entry.
  virtual StateEntries export_entries() = 0;
  // Adds `entries` (from export_entries()) to the state, replacing entries with the same key.
  virtual void import_entries(StateEntries entries) = 0;
};

enum class StateKind : std::uint8_t { stateless = 0, stateful = 1, keyed = 2 };

}  // namespace hatch

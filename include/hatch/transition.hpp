// What a transition did: where a component went, how long its callers waited, what moved.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "hatch/placement.hpp"

namespace hatch {

struct TransitionStep {
  std::string name;  // "gate and drain", "export", "instantiate", ...
  std::chrono::microseconds duration{0};
};

struct TransitionReport {
  std::string component;
  // Where it was and where it went: "origin" or a node address for a move between single
  // homes, else the placements ("replicated{a,b}", "sharded{local,a}", ...).
  std::string from;
  std::string to;
  bool ok = true;  // false: the component stayed at `from`, with its state; see `error`
  std::string error;
  // From closing the gate to opening it at the new home (or the old one, on failure): the
  // longest a caller waited because of this transition.
  std::chrono::microseconds pause{0};
  std::uint64_t state_bytes = 0;  // the size of the moved state
  // The entries of a keyed state that travelled in a transition between placements of several
  // homes: all of them, except in a resharding, where only those whose shard changes leave
  // their node. 0 in a move between single homes, which moves the state as one blob.
  std::uint64_t entries_moved = 0;
  std::vector<TransitionStep> steps;

  // One line: "moved 'kv' origin -> 127.0.0.1:7001 in 0.41 ms pause, 1024 B (gate 0.05 ms, ...)".
  std::string to_string() const;
};

}  // namespace hatch

// The autopilot's memory across restarts: the learned design and the learner's design memory,
// kept in a JSON file (AutopilotOptions::state_file) by component name and placement, so that a
// restart can check them against the program it finds: the components the catalog holds now and
// the nodes the configuration lists.
//
//   save_learner_state(path, space, loop.learner().memory());
//   LoadedState loaded = load_learner_state(path, space);   // on the next start
//   if (loaded.memory) learner.restore(*loaded.memory);
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "design/design_space.hpp"
#include "learn/learner.hpp"

namespace hatch {

// Writes `memory` to `path` atomically (a temporary file renamed over it). Throws UsageError
// naming the file when it cannot be written.
void save_learner_state(const std::string& path, const DesignSpace& space,
                        const LearnerMemory& memory);

struct LoadedState {
  std::optional<LearnerMemory> memory;  // empty: no file at `path`
  // What did not fit the space and was left out, one line each: a component the program no
  // longer has, a placement on a node that is no longer listed, ...
  std::vector<std::string> notes;
};

// The same, as text: the autopilot keeps what the learner knew this way while its design space
// changes (the nodes it places on came or went).
std::string learner_state_text(const DesignSpace& space, const LearnerMemory& memory);
// Maps `text`, as learner_state_text wrote it, onto `space`, as load_learner_state does; `what`
// names the text in errors.
LoadedState read_learner_state(std::string_view text, const std::string& what,
                               const DesignSpace& space);

// Reads `path` and maps it onto `space`. A design in the memory that does not fit the space is
// dropped; a component of the learned design that does not fit starts local. Throws UsageError
// naming the file for one that cannot be read or parsed.
LoadedState load_learner_state(const std::string& path, const DesignSpace& space);

}  // namespace hatch

// Scenario files: a system and its workload in TOML, for `hatch sim --scenario FILE`. The format
// is documented, with an example, in docs/simulator.md; src/sim/scenarios/webserver.toml is a
// complete one.
//
// Every error is a UsageError of the form "FILE:LINE: FIELD: what is wrong", naming the field
// as a path ("components[2].read_ms"). Unknown keys are errors too, so that a typo does not
// silently fall back to a default. Numbers are checked against bounds that keep the model sane.
#pragma once

#include <string>
#include <string_view>

#include "sim/scenario.hpp"

namespace hatch::sim {

// Reads and validates a scenario file.
Scenario load_scenario(const std::string& path);

// The same from text; `source` names it in errors (a file name, or "<string>").
Scenario parse_scenario(std::string_view text, const std::string& source);

}  // namespace hatch::sim

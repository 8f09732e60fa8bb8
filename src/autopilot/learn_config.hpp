// The autopilot's part of a configuration file: the [learn] table
// (docs/guide.md, "Learning live", lists every key). Included only by the two files that parse
// configuration, since toml++ is heavy.
#pragma once

#include <string>

#include <toml++/toml.h>

#include "hatch/autopilot.hpp"

namespace hatch {

// Reads [learn] from `root`, parsed from `path`, into `out`, and checks the result.
// Throws UsageError "PATH:LINE: learn.KEY ..." for an unknown key, a value of the wrong type
// or out of range. A relative state_file is taken relative to the file's folder.
void read_learn_config(const toml::table& root, const std::string& path, AutopilotOptions& out);

}  // namespace hatch

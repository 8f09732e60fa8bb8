// The autopilot's example: a key-value store whose instances hold only a budget of entries in
// (emulated) memory, and an audit trail of writes. Nothing in the program is about learning;
// its configuration turns learning on (docs/guide.md, "Learning live").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "hatch/interface.hpp"

HATCH_INTERFACE(Store, (read, std::optional<std::string>, get, (const std::string&), shard_key<0>),
                (write, void, put, (const std::string&, const std::string&), shard_key<0>),
                (read, std::uint64_t, size, (), merge_sum));

HATCH_INTERFACE(Audit, (write, void, record, (const std::string&)),
                (read, std::uint64_t, recorded, (), merge_sum));

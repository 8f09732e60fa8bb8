// The example of the foundation: a key-value store and a counter that keeps its counts in it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "hatch/interface.hpp"

HATCH_INTERFACE(KeyValue,
                (read, std::optional<std::string>, get, (const std::string&), shard_key<0>),
                (write, void, put, (const std::string&, const std::string&), shard_key<0>),
                (write, bool, erase, (const std::string&), shard_key<0>),
                (read, std::uint64_t, size, (), merge_sum));

HATCH_INTERFACE(Counter,
                (write, std::int64_t, add, (const std::string&, std::int64_t), shard_key<0>),
                (read, std::int64_t, value, (const std::string&), shard_key<0>));

// Interfaces that the tests serve locally and on node processes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "hatch/interface.hpp"

namespace hatch::test {

struct Point {
  std::int32_t x = 0;
  std::int32_t y = 0;
  std::string label;
  HATCH_FIELDS(x, y, label);
  friend bool operator==(const Point&, const Point&) = default;
};

using Shape = std::variant<std::monostate, std::int64_t, std::string, Point>;

}  // namespace hatch::test

// Every supported type, by value and by const reference, as argument and result.
HATCH_INTERFACE(
    Echo, (read, std::int8_t, i8, (std::int8_t)), (read, std::uint8_t, u8, (std::uint8_t)),
    (read, std::int16_t, i16, (std::int16_t)), (read, std::uint16_t, u16, (std::uint16_t)),
    (read, std::int32_t, i32, (std::int32_t)), (read, std::uint32_t, u32, (std::uint32_t)),
    (read, std::int64_t, i64, (std::int64_t)), (read, std::uint64_t, u64, (std::uint64_t)),
    (read, float, f32, (float)), (read, double, f64, (double)), (read, bool, boolean, (bool)),
    (read, std::string, text, (const std::string&)),
    (read, hatch::Bytes, bytes, (const hatch::Bytes&)),
    (read, std::vector<std::int32_t>, vec, (const std::vector<std::int32_t>&)),
    (read, (std::map<std::string, std::int64_t>), map,
     ((const std::map<std::string, std::int64_t>&))),
    (read, (std::unordered_map<std::string, double>), umap,
     ((std::unordered_map<std::string, double>))),
    (read, std::optional<std::string>, opt, (std::optional<std::string>)),
    (read, (std::pair<std::int32_t, std::string>), pair, ((std::pair<std::int32_t, std::string>))),
    (read, (std::tuple<std::int32_t, std::string, bool>), tuple,
     ((std::tuple<std::int32_t, std::string, bool>))),
    (read, hatch::test::Shape, variant, (const hatch::test::Shape&)),
    (read, hatch::test::Point, point, (hatch::test::Point)),
    (read, (std::map<std::string, std::vector<std::optional<hatch::test::Point>>>), nested,
     ((const std::map<std::string, std::vector<std::optional<hatch::test::Point>>>&))),
    (read, std::string, concat, (const std::string&, std::int32_t, const std::string&)),
    (write, void, record, (const std::string&)), (read, std::vector<std::string>, recorded, ()),
    (read, std::int64_t, add, (std::int64_t, std::int64_t)),
    (read, void, fail, (const std::string& /*kind*/)), (read, std::int32_t, hold, (std::int32_t)),
    (write, void, release, ()), (read, std::int32_t, in_flight, ()),
    (read, std::string, where, ()));

// A store on the origin that a relay on a node writes through.
HATCH_INTERFACE(Store, (write, void, put, (const std::string&, const std::string&), shard_key<0>),
                (read, std::optional<std::string>, get, (const std::string&), shard_key<0>),
                (read, std::int64_t, budget_ms, ()));

HATCH_INTERFACE(Relay,
                (write, void, put_via, (const std::string&, const std::string&), shard_key<0>),
                (read, std::optional<std::string>, get_via, (const std::string&), shard_key<0>),
                (read, std::int64_t, budget_via, ()), (read, std::string, where, ()));

// A keyed ledger of counters, to move while it serves.
HATCH_INTERFACE(Ledger,
                (write, std::int64_t, add, (const std::string&, std::int64_t), shard_key<0>),
                (read, std::int64_t, get, (const std::string&), shard_key<0>),
                (read, std::uint64_t, size, (), merge_sum), (read, std::string, where, ()));

// A keyed map of counters that every placement allows: each read without a key says how to
// merge the shards' answers.
HATCH_INTERFACE(Counts,
                (write, std::int64_t, add, (const std::string&, std::int64_t), shard_key<0>),
                (read, std::int64_t, get, (const std::string&), shard_key<0>),
                (read, std::uint64_t, size, (), merge_sum),
                (read, std::int64_t, total, (), merge_sum),
                (read, std::vector<std::string>, hosts, (), merge_concat),
                (read, bool, has_any, (), merge_any), (read, std::int64_t, largest, (), merge_max));

// A large whole state (megabytes of seeded bytes), which travels as a frame tail.
HATCH_INTERFACE(BigState, (write, void, fill, (std::uint64_t /*bytes*/, std::uint64_t /*seed*/)),
                (read, std::uint64_t, digest, ()));

// A keyed map of byte values, to move a keyed state of a given size.
HATCH_INTERFACE(Blobs, (write, void, put, (const std::string&, const hatch::Bytes&), shard_key<0>),
                (read, std::uint64_t, size_of, (const std::string&), shard_key<0>),
                (read, std::uint64_t, total_bytes, (), merge_sum));

// A whole-state tally, the stateful kind.
HATCH_INTERFACE(Tally, (write, std::int64_t, bump, (std::int64_t)),
                (read, std::int64_t, total, ()));

// A whole-state journal of write ids, the stateful kind: each write leaves an id of its own,
// so a history checker can tell exactly which writes a state holds, and how many times.
HATCH_INTERFACE(Journal, (write, std::uint64_t, append, (std::uint64_t /*id*/)),
                (read, std::uint64_t, times, (std::uint64_t /*id*/)),
                (read, std::uint64_t, size, ()),
                (read, (std::map<std::uint64_t, std::uint64_t>), entries, ()),
                (read, std::string, where, ()));

// A whole-state list of values in the order they were appended, the stateful kind: replicas
// that applied the same writes in different orders hold different lists.
HATCH_INTERFACE(Sequence, (write, std::uint64_t, append, (std::uint64_t)),
                (read, (std::pair<std::string, std::vector<std::uint64_t>>), items, ()));

namespace hatch::test {
// Journals are registered as "journal-0" to "journal-<kJournals - 1>": a test that kills the
// only home of one (its state dies with it) goes on with the next.
inline constexpr int kJournals = 512;
inline std::string journal_name(int i) {
  return "journal-" + std::to_string(i);
}
}  // namespace hatch::test

// Calls the ledger from wherever it is placed.
HATCH_INTERFACE(LedgerClient,
                (write, std::int64_t, add_via, (const std::string&, std::int64_t), shard_key<0>),
                (read, std::string, where, ()));

// Calls the counts, which every placement allows, from wherever it is placed.
HATCH_INTERFACE(CountsClient,
                (write, std::int64_t, add_via, (const std::string&, std::int64_t), shard_key<0>),
                (read, std::uint64_t, size_via, ()));

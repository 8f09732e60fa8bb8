// Stats: per-path counters of the documents served. Write-heavy (one write per request) and
// keyed by path, so sharding spreads the writes.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "hatch/interface.hpp"

namespace hatch::web {

struct PathStats {
  std::uint64_t requests = 0;    // successful GET or HEAD requests of the path
  std::uint64_t bytes_sent = 0;  // body bytes those responses carried (as encoded)
  std::uint64_t uploads = 0;     // successful PUT requests of the path
  HATCH_FIELDS(requests, bytes_sent, uploads);
  friend bool operator==(const PathStats&, const PathStats&) = default;
};

using PathStatsMap = std::map<std::string, PathStats>;

HATCH_INTERFACE(Stats,
                // Counts one request of `path` whose body had `bytes` bytes.
                (write, void, record_read, (const std::string&, std::uint64_t), shard_key<0>),
                // Counts one upload to `path`.
                (write, void, record_upload, (const std::string&), shard_key<0>),
                // Every path's counters; shards hold disjoint paths, so their maps unite.
                (read, hatch::web::PathStatsMap, all, (), merge_concat));

}  // namespace hatch::web

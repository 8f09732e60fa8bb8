// Cache: response bodies by path and content coding, bounded by a byte budget. Keyed by path:
// one entry holds every coding of one path, so the entry's key is the call's shard key and a
// sharded cache keeps a path's codings together.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "hatch/interface.hpp"

namespace hatch::web {

// One cached body: the document version it was made from, and the bytes as sent.
struct CachedBody {
  std::uint64_t version = 0;
  std::string body;
  HATCH_FIELDS(version, body);
};

HATCH_INTERFACE(Cache,
                // The body of `path` in `coding` ("identity", "gzip" or "zstd"), or nothing.
                // A read: it only refreshes the entry's recency, which replicas need not share.
                (read, std::optional<hatch::web::CachedBody>, get,
                 (const std::string&, const std::string&), shard_key<0>),
                // Stores a body of `path` in `coding`. A body of an older version than the entry
                // holds is ignored; a newer one drops the entry's other codings.
                (write, void, put,
                 (const std::string&, const std::string&, const hatch::web::CachedBody&),
                 shard_key<0>),
                // Bytes held, counted as the bodies' and keys' sizes.
                (read, std::uint64_t, bytes_used, (), merge_sum));

}  // namespace hatch::web

// ContentStore: the web server's documents. The corpus lives in a data directory that every host
// can read (on one machine: the same directory; in a data center: a deployed copy), and uploads
// replace documents. The uploads are the component's keyed state, one entry per path, so the
// store can move, be replicated or be sharded by path without losing one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "hatch/interface.hpp"

namespace hatch::web {

// One document as the store returns it. `version` is 0 for the corpus file and grows by one with
// each upload of that path, so a cache can tell an older copy from a newer one. Its content type
// follows from its path (content_type.hpp).
struct Document {
  std::uint64_t version = 0;
  std::string body;
  HATCH_FIELDS(version, body);
};

HATCH_INTERFACE(
    ContentStore,
    // The document at `path` (a valid document path, see document_path.hpp), or
    // nothing when there is none. Each call costs one emulated access.
    (read, std::optional<hatch::web::Document>, get, (const std::string&), shard_key<0>),
    // Replaces the body of the document at `path`, which must exist, and returns its new version;
    // nothing when there is no such document (uploads never create paths, which
    // keeps the set of paths, and so every per-path state, bounded by the corpus).
    (write, std::optional<std::uint64_t>, put, (const std::string&, const std::string&),
     shard_key<0>));

}  // namespace hatch::web

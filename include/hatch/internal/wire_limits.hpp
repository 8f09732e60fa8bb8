// Bounds on what Hatch accepts from the network. Every unpack of remote data applies them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hatch::internal {

struct WireLimits {
  // Largest frame (header and body) accepted or sent. Default 128 MiB: room for a 64 MiB state
  // transfer with headroom; a peer announcing more is cut off before any byte is buffered.
  std::uint32_t max_frame_bytes = 128u << 20;
  // Most elements in one msgpack array or map. Bounds the memory a small frame can demand.
  std::size_t max_container_items = 16u << 20;
  // Deepest nesting of arrays and maps. Bounds recursion when decoding.
  std::size_t max_depth = 64;
};

}  // namespace hatch::internal

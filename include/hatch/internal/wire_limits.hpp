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
  // Memory that the calls a host serves may hold at once while their arguments are decoded and
  // the call runs: twice each request's bytes plus its values in decoded form (DecodeCost). A
  // call that would go over is refused with resource_exhausted before it is decoded, and did
  // not run. Default 1 GiB: a dozen 64 MiB arguments at once, while a flood of small values
  // that decode to 25 times their size cannot take the host's memory.
  std::size_t max_inflight_request_bytes = std::size_t{1} << 30;
};

}  // namespace hatch::internal

// What decoding an untrusted msgpack value would cost, found before decoding it.
//
// Decoding allocates a msgpack::object (24 bytes) for every value, so one byte of input (a nil)
// becomes 24 bytes and more once converted to C++ types; and a container's header alone makes
// the decoder allocate room for every item it claims. measure_untrusted() walks the value with
// msgpack's parser and a visitor that allocates nothing, so a host learns what a request would
// take, and its top-level arity, while the request still costs only its own bytes. It refuses,
// as malformed, a value whose containers claim more items than there are bytes left to hold
// them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "hatch/internal/wire_limits.hpp"

namespace hatch::internal {

struct DecodeCost {
  // Bytes of decoded form counted per value: its msgpack::object (24), plus the fixed part of
  // the largest C++ value that one item converts into (a std::string, 32). Variable parts
  // (string and binary contents) are the input's own bytes again.
  static constexpr std::size_t kBytesPerValue = 56;

  std::size_t input_bytes = 0;  // the bytes of the value
  std::size_t values = 0;       // values in it, containers and their items included
  // The item count of the value when it is an array (an argument list), else empty.
  std::optional<std::uint32_t> top_array_items;

  // Memory a request holds while it is decoded and served: its bytes, twice (once received,
  // once converted), and its values in decoded form.
  std::size_t bytes_in_flight() const noexcept { return 2 * input_bytes + values * kBytesPerValue; }
};

// Measures the one msgpack value that fills `bytes`. Throws BadArguments (codec.hpp) when it is
// malformed, truncated, followed by other bytes, nested deeper than limits.max_depth, or holds
// a container of more than limits.max_container_items items or of more items than bytes remain.
DecodeCost measure_untrusted(std::span<const char> bytes, const WireLimits& limits);

}  // namespace hatch::internal

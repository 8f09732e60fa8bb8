#include "hatch/internal/codec.hpp"

#include <algorithm>

namespace hatch::internal {

msgpack::object_handle unpack_untrusted(std::span<const char> bytes, const WireLimits& limits) {
  std::size_t offset = 0;
  msgpack::object_handle handle = unpack_untrusted_prefix(bytes, limits, offset);
  if (offset != bytes.size()) throw BadArguments("trailing bytes after the msgpack value");
  return handle;
}

msgpack::object_handle unpack_untrusted_prefix(std::span<const char> bytes,
                                               const WireLimits& limits, std::size_t& offset) {
  msgpack::object_handle handle;
  try {
    // Strings and binaries refer into `bytes` instead of being copied: the caller keeps
    // `bytes` alive while it uses the object.
    const msgpack::unpack_reference_func refer = [](msgpack::type::object_type, std::size_t,
                                                    void*) { return true; };
    // A container's header makes the decoder allocate room for every item it claims; each
    // item takes a byte at least, so no claim beyond the bytes left can be honest.
    const std::size_t items = std::min(limits.max_container_items, bytes.size() - offset);
    msgpack::unpack(
        handle, bytes.data(), bytes.size(), offset, refer, nullptr,
        msgpack::unpack_limit(items, items, limits.max_frame_bytes, limits.max_frame_bytes,
                              limits.max_frame_bytes, limits.max_depth));
  } catch (const std::exception& e) {
    throw BadArguments(std::string("undecodable msgpack: ") + e.what());
  }
  return handle;
}

}  // namespace hatch::internal

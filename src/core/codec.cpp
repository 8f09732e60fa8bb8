#include "hatch/internal/codec.hpp"

namespace hatch::internal {

msgpack::object_handle unpack_untrusted(std::span<const char> bytes, const WireLimits& limits) {
  msgpack::object_handle handle;
  try {
    std::size_t offset = 0;
    msgpack::unpack(handle, bytes.data(), bytes.size(), offset, nullptr, nullptr,
                    msgpack::unpack_limit(limits.max_container_items, limits.max_container_items,
                                          limits.max_frame_bytes, limits.max_frame_bytes,
                                          limits.max_frame_bytes, limits.max_depth));
    if (offset != bytes.size()) throw BadArguments("trailing bytes after the msgpack value");
  } catch (const BadArguments&) {
    throw;
  } catch (const std::exception& e) {
    throw BadArguments(std::string("undecodable msgpack: ") + e.what());
  }
  return handle;
}

}  // namespace hatch::internal

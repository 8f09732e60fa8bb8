#include "hatch/internal/codec.hpp"

#include <algorithm>
#include <memory>

namespace hatch::internal {

namespace {
constexpr std::size_t kMinZoneChunk = 256;
constexpr std::size_t kMaxZoneChunk = 8192;  // msgpack's default
}  // namespace

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
    // The zone's chunks grow with the input: a small call's values fit in one chunk that the
    // allocator serves from its per-thread cache, rather than msgpack's default 8 KiB.
    auto zone = std::make_unique<msgpack::zone>(
        std::clamp<std::size_t>(4 * (bytes.size() - offset), kMinZoneChunk, kMaxZoneChunk));
    bool referenced = false;
    const msgpack::object object = msgpack::unpack(
        *zone, bytes.data(), bytes.size(), offset, referenced, refer, nullptr,
        msgpack::unpack_limit(items, items, limits.max_frame_bytes, limits.max_frame_bytes,
                              limits.max_frame_bytes, limits.max_depth));
    handle = msgpack::object_handle(object, std::move(zone));
  } catch (const std::exception& e) {
    throw BadArguments(std::string("undecodable msgpack: ") + e.what());
  }
  return handle;
}

}  // namespace hatch::internal

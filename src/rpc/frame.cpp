#include "rpc/frame.hpp"

#include <array>

#include "hatch/internal/msgpack.hpp"
#include "hatch/internal/wire_buffer.hpp"

namespace hatch::rpc {

namespace {
constexpr std::uint32_t kHeaderFields = 7;
}

std::string encode_head(const FrameHeader& header, std::size_t body_bytes,
                        const internal::WireLimits& limits) {
  internal::WireBuffer out;
  out.bytes().reserve(32);
  out.bytes().append(kLengthPrefixBytes, '\0');
  msgpack::packer<internal::WireBuffer> pk(out);
  pk.pack_array(kHeaderFields);
  pk.pack(static_cast<std::uint8_t>(header.kind));
  pk.pack(static_cast<std::uint8_t>(header.status));
  pk.pack(header.call_id);
  pk.pack(header.component);
  pk.pack(header.method);
  pk.pack(header.budget_us);
  pk.pack(header.tail_bytes);
  const std::size_t total = out.bytes().size() - kLengthPrefixBytes + body_bytes;
  if (total > limits.max_frame_bytes) {
    throw FrameError("frame of " + std::to_string(total) + " bytes exceeds the limit of " +
                     std::to_string(limits.max_frame_bytes) + " bytes");
  }
  const auto n = static_cast<std::uint32_t>(total);
  std::string& b = out.bytes();
  b[0] = static_cast<char>(n >> 24);
  b[1] = static_cast<char>(n >> 16);
  b[2] = static_cast<char>(n >> 8);
  b[3] = static_cast<char>(n);
  return std::move(b);
}

std::uint32_t decode_length(const char* prefix) {
  const auto* p = reinterpret_cast<const unsigned char*>(prefix);
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

DecodedFrame decode_frame(std::span<const char> frame, bool tail_apart) {
  std::size_t offset = 0;
  msgpack::object_handle handle;
  try {
    // The header is a small fixed array; tight limits keep a hostile header cheap.
    msgpack::unpack(handle, frame.data(), frame.size(), offset, nullptr, nullptr,
                    msgpack::unpack_limit(kHeaderFields, 0, 0, 0, 0, 2));
  } catch (const msgpack::insufficient_bytes&) {
    throw;
  } catch (const std::exception& e) {
    throw FrameError(std::string("undecodable frame header: ") + e.what());
  }
  const msgpack::object& o = handle.get();
  if (o.type != msgpack::type::ARRAY || o.via.array.size != kHeaderFields) {
    throw FrameError("frame header is not an array of 7 fields");
  }
  DecodedFrame out;
  try {
    const msgpack::object* f = o.via.array.ptr;
    const auto kind = f[0].as<std::uint8_t>();
    if (kind < static_cast<std::uint8_t>(FrameKind::request) ||
        kind > static_cast<std::uint8_t>(FrameKind::reject)) {
      throw FrameError("unknown frame kind " + std::to_string(kind));
    }
    const auto status = f[1].as<std::uint8_t>();
    if (status > static_cast<std::uint8_t>(kMaxStatusCode)) {
      throw FrameError("unknown status code " + std::to_string(status));
    }
    out.header.kind = static_cast<FrameKind>(kind);
    out.header.status = static_cast<StatusCode>(status);
    out.header.call_id = f[2].as<std::uint64_t>();
    out.header.component = f[3].as<std::uint32_t>();
    out.header.method = f[4].as<std::uint32_t>();
    out.header.budget_us = f[5].as<std::uint64_t>();
    out.header.tail_bytes = f[6].as<std::uint64_t>();
  } catch (const msgpack::type_error&) {
    throw FrameError("frame header field has the wrong type");
  }
  out.body = frame.subspan(offset);
  if (!tail_apart) {
    if (out.header.tail_bytes > out.body.size()) {
      throw FrameError("frame tail of " + std::to_string(out.header.tail_bytes) +
                       " bytes is longer than the " + std::to_string(out.body.size()) +
                       " bytes after its header");
    }
    const std::size_t body_bytes = out.body.size() - out.header.tail_bytes;
    out.tail = out.body.subspan(body_bytes);
    out.body = out.body.first(body_bytes);
  }
  return out;
}

}  // namespace hatch::rpc

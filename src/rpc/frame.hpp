// The unit of the wire protocol: a length-prefixed frame with a msgpack header and a body.
//
//   | u32 big-endian: bytes that follow | msgpack header array | body (msgpack) |
//
// The header carries the frame's kind, status, call id, component id, method id, the
// caller's remaining deadline budget, and how many of the frame's last bytes are a tail: raw
// bytes after the body (a moving state) that a receiver may land in a buffer of their own. Requests
// and responses are matched by call id, so many calls share one connection in both directions.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

#include "hatch/error.hpp"
#include "hatch/internal/wire_limits.hpp"

namespace hatch::rpc {

enum class FrameKind : std::uint8_t {
  request = 1,
  response = 2,
  hello = 3,      // handshake: client → server, its role, name and nonce
  challenge = 4,  // handshake: server → client, the server's nonce
  proof = 5,      // handshake: client → server, HMAC over both nonces
  accept = 6,     // handshake: server → client, the server's HMAC
  reject = 7,     // handshake: server → client, why the peer was refused
};

struct FrameHeader {
  FrameKind kind = FrameKind::request;
  StatusCode status = StatusCode::ok;
  std::uint64_t call_id = 0;
  std::uint32_t component = 0;
  std::uint32_t method = 0;
  std::uint64_t budget_us = 0;   // the caller's remaining deadline when sent; 0 = none
  std::uint64_t tail_bytes = 0;  // raw bytes at the end of the frame, after the body
};

inline constexpr std::size_t kLengthPrefixBytes = 4;

// A frame that breaks the protocol: its sender is cut off.
class FrameError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The length prefix and packed header that precede a body of `body_bytes`.
// Throws FrameError when the frame would exceed limits.max_frame_bytes.
std::string encode_head(const FrameHeader& header, std::size_t body_bytes,
                        const internal::WireLimits& limits);

// The value of a length prefix.
std::uint32_t decode_length(const char* prefix);

struct DecodedFrame {
  FrameHeader header;
  std::span<const char> body;
  std::span<const char> tail;  // the frame's last header.tail_bytes bytes, when it holds them
};

// Decodes the header of `frame` (the bytes after the length prefix) and splits the rest into
// body and tail. With `tail_apart`, the frame ends where its tail begins (the tail was read into
// a buffer of its own) and `tail` stays empty. Throws FrameError, also when the tail is longer
// than what follows the header. Throws msgpack::insufficient_bytes when `frame` ends inside the
// header, which a reader of partial frames may catch.
DecodedFrame decode_frame(std::span<const char> frame, bool tail_apart = false);

}  // namespace hatch::rpc

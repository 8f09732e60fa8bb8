// Fuzzes what a connection does with the bytes an authenticated peer sends: it cuts them into
// frames by their length prefix, refusing a frame over the limit (rpc/connection.cpp), decodes
// each frame's header (rpc/frame.hpp), and a host measures each body before it decodes it
// (hatch/internal/decode_cost.hpp, then unpack_untrusted of hatch/internal/codec.hpp).
//
// Input: one byte that picks the WireLimits (even: the defaults; odd: tight ones that small
// inputs can reach), then the bytes of the stream.
//
// Properties, beyond no crash, no undefined behaviour and no leak:
// - decode_frame throws only FrameError, or msgpack::insufficient_bytes for a header cut short;
// - a decoded frame is its header, body and tail without a byte lost or shared, and decoding it
//   with its tail apart gives the same header with the body and tail as one span;
// - the header re-encodes within the frame limit, and the re-encoded frame decodes to the same
//   header, body and tail;
// - measuring a body and decoding it agree: both refuse it, or both accept it with the same
//   count of values and the same arity, and every decoded container is within the limits;
// - decoding a body holds at most four msgpack::objects' worth of heap per value it decodes;
//   and, whether it succeeds or not, no open container reserves room for more items than there
//   are bytes left in the body. (Containers nested in one another each may, so a body of n bytes
//   that fails can reserve up to max_depth times n items; the host measures a call's arguments
//   before it decodes them, which refuses that.)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "allocation_peak.hpp"
#include "fuzz_check.hpp"
#include "hatch/internal/codec.hpp"
#include "hatch/internal/decode_cost.hpp"
#include "rpc/frame.hpp"

namespace hatch::fuzz {
namespace {

// Decoding makes one msgpack::object (24 bytes) per value, in zone chunks that may be up to
// twice what they hold; an open container has room for all the items it claims, a map's pair
// taking a msgpack::object_kv. The zone's first chunk and the parser's stacks are the fixed part.
constexpr std::size_t kBytesPerValue = 4 * sizeof(msgpack::object);
constexpr std::size_t kBytesPerClaim = 2 * sizeof(msgpack::object_kv);
constexpr std::size_t kFixedBytes = 16 * 1024;

internal::WireLimits limits_for(std::uint8_t choice) {
  internal::WireLimits limits;
  if (choice % 2 == 1) {
    limits.max_frame_bytes = 512;
    limits.max_container_items = 16;
    limits.max_depth = 4;
  }
  return limits;
}

bool same(std::span<const char> a, std::span<const char> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

bool same_header(const rpc::FrameHeader& a, const rpc::FrameHeader& b) {
  return a.kind == b.kind && a.status == b.status && a.call_id == b.call_id &&
         a.component == b.component && a.method == b.method && a.budget_us == b.budget_us &&
         a.tail_bytes == b.tail_bytes;
}

struct Shape {
  std::size_t values = 0;
  std::size_t depth = 0;   // containers nested, the outermost counting one
  std::size_t widest = 0;  // items of the largest array, pairs of the largest map
};

void walk(const msgpack::object& o, std::size_t depth, Shape& shape) {
  shape.values += 1;
  if (o.type == msgpack::type::ARRAY) {
    shape.depth = std::max(shape.depth, depth + 1);
    shape.widest = std::max<std::size_t>(shape.widest, o.via.array.size);
    for (std::uint32_t i = 0; i < o.via.array.size; ++i) walk(o.via.array.ptr[i], depth + 1, shape);
  } else if (o.type == msgpack::type::MAP) {
    shape.depth = std::max(shape.depth, depth + 1);
    shape.widest = std::max<std::size_t>(shape.widest, o.via.map.size);
    for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
      walk(o.via.map.ptr[i].key, depth + 1, shape);
      walk(o.via.map.ptr[i].val, depth + 1, shape);
    }
  }
}

void check_body(std::span<const char> body, const internal::WireLimits& limits) {
  std::optional<internal::DecodeCost> cost;
  try {
    cost = internal::measure_untrusted(body, limits);
  } catch (const internal::BadArguments&) {
  }
  std::optional<msgpack::object_handle> decoded;
  std::size_t held = 0;
  {
    AllocationPeak peak;
    try {
      decoded = internal::unpack_untrusted(body, limits);
    } catch (const internal::BadArguments&) {
    }
    held = peak.bytes();
  }
  check(held <= (1 + limits.max_depth) * kBytesPerClaim * body.size() + kFixedBytes,
        "no open container reserves room for more items than there are bytes left");
  check(cost.has_value() == decoded.has_value(), "measuring and decoding accept the same bodies");
  if (!decoded) return;
  check(held <= kBytesPerValue * cost->values + kFixedBytes,
        "decoding holds a few objects' worth of memory per value");
  Shape shape;
  walk(decoded->get(), 0, shape);
  check(shape.values == cost->values, "measuring counts the values that decoding makes");
  const msgpack::object& top = decoded->get();
  check(cost->top_array_items == (top.type == msgpack::type::ARRAY
                                      ? std::optional<std::uint32_t>(top.via.array.size)
                                      : std::nullopt),
        "measuring finds the arity that decoding finds");
  check(shape.depth <= limits.max_depth, "a decoded body nests no deeper than the limit");
  check(shape.widest <= limits.max_container_items,
        "a decoded container holds no more items than the limit");
}

void check_frame(std::span<const char> frame, const internal::WireLimits& limits) {
  rpc::DecodedFrame decoded;
  try {
    decoded = rpc::decode_frame(frame);
  } catch (const rpc::FrameError&) {
    return;
  } catch (const msgpack::insufficient_bytes&) {
    return;
  }
  const std::size_t head_bytes = frame.size() - decoded.body.size() - decoded.tail.size();
  check(decoded.body.data() == frame.data() + head_bytes &&
            decoded.tail.data() == decoded.body.data() + decoded.body.size() &&
            decoded.tail.size() == decoded.header.tail_bytes,
        "a frame is its header, then its body, then its tail of tail_bytes");
  check(decoded.header.status <= kMaxStatusCode, "a decoded status is a known one");

  const rpc::DecodedFrame apart = rpc::decode_frame(frame, true);
  check(same_header(apart.header, decoded.header) && apart.tail.empty() &&
            apart.body.data() == decoded.body.data() &&
            apart.body.size() == decoded.body.size() + decoded.tail.size(),
        "with its tail apart, a frame decodes to the same header, body and tail in one");

  std::string again;
  try {
    again = rpc::encode_head(decoded.header, decoded.body.size() + decoded.tail.size(), limits);
  } catch (const rpc::FrameError&) {
    check(false, "a header that decodes re-encodes within the frame limit");
  }
  check(again.size() - rpc::kLengthPrefixBytes <= head_bytes,
        "a re-encoded header is no longer than the peer's");
  again.append(decoded.body.data(), decoded.body.size());
  again.append(decoded.tail.data(), decoded.tail.size());
  check(rpc::decode_length(again.data()) == again.size() - rpc::kLengthPrefixBytes,
        "a re-encoded length prefix counts the frame");
  const rpc::DecodedFrame round = rpc::decode_frame(
      {again.data() + rpc::kLengthPrefixBytes, again.size() - rpc::kLengthPrefixBytes});
  check(same_header(round.header, decoded.header) && same(round.body, decoded.body) &&
            same(round.tail, decoded.tail),
        "a re-encoded frame decodes to the same header, body and tail");

  check_body(decoded.body, limits);
}

}  // namespace
}  // namespace hatch::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  hatch::fuzz::AllocationPeak::install();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const hatch::internal::WireLimits limits = hatch::fuzz::limits_for(data[0]);
  const std::span<const char> stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  // As a connection reads: a prefix over the limit, or a frame cut short, ends the stream.
  std::size_t pos = 0;
  while (stream.size() - pos >= hatch::rpc::kLengthPrefixBytes) {
    const std::uint32_t len = hatch::rpc::decode_length(stream.data() + pos);
    if (len > limits.max_frame_bytes) break;
    if (stream.size() - pos - hatch::rpc::kLengthPrefixBytes < len) break;
    hatch::fuzz::check_frame(stream.subspan(pos + hatch::rpc::kLengthPrefixBytes, len), limits);
    pos += hatch::rpc::kLengthPrefixBytes + len;
  }
  return 0;
}

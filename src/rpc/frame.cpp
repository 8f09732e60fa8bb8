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

namespace {

// Takes the header's fields as the parser meets them, with no object tree built. Stops the
// parser at the first thing a header cannot hold.
class HeaderVisitor : public msgpack::null_visitor {
 public:
  bool start_array(std::uint32_t items) {
    if (depth_++ > 0) return refuse("frame header field has the wrong type");
    if (items != kHeaderFields) return refuse("frame header is not an array of 7 fields");
    return true;
  }
  bool end_array() {
    --depth_;
    return true;
  }
  bool visit_positive_integer(std::uint64_t v) {
    if (depth_ == 0) return refuse("frame header is not an array of 7 fields");
    fields_[taken_++] = v;
    return true;
  }
  bool start_map(std::uint32_t) { return wrong_type(); }
  bool visit_nil() { return wrong_type(); }
  bool visit_boolean(bool) { return wrong_type(); }
  bool visit_negative_integer(std::int64_t) { return wrong_type(); }
  bool visit_float32(float) { return wrong_type(); }
  bool visit_float64(double) { return wrong_type(); }
  bool visit_str(const char*, std::uint32_t) { return wrong_type(); }
  bool visit_bin(const char*, std::uint32_t) { return wrong_type(); }
  bool visit_ext(const char*, std::uint32_t) { return wrong_type(); }
  void parse_error(std::size_t, std::size_t) { refusal_ = "undecodable frame header"; }
  void insufficient_bytes(std::size_t, std::size_t) { insufficient_ = true; }

  // The header, or a FrameError (msgpack::insufficient_bytes when the bytes end inside it).
  FrameHeader header(bool parsed) const {
    if (insufficient_) throw msgpack::insufficient_bytes("the frame ends inside its header");
    if (!refusal_.empty()) throw FrameError(refusal_);
    if (!parsed || taken_ != kHeaderFields) {
      throw FrameError("frame header is not an array of 7 fields");
    }
    if (fields_[0] > 0xff || fields_[1] > 0xff || fields_[3] > 0xffffffff ||
        fields_[4] > 0xffffffff) {
      throw FrameError("frame header field has the wrong type");
    }
    if (fields_[0] < static_cast<std::uint8_t>(FrameKind::request) ||
        fields_[0] > static_cast<std::uint8_t>(FrameKind::reject)) {
      throw FrameError("unknown frame kind " + std::to_string(fields_[0]));
    }
    if (fields_[1] > static_cast<std::uint8_t>(kMaxStatusCode)) {
      throw FrameError("unknown status code " + std::to_string(fields_[1]));
    }
    FrameHeader h;
    h.kind = static_cast<FrameKind>(fields_[0]);
    h.status = static_cast<StatusCode>(fields_[1]);
    h.call_id = fields_[2];
    h.component = static_cast<std::uint32_t>(fields_[3]);
    h.method = static_cast<std::uint32_t>(fields_[4]);
    h.budget_us = fields_[5];
    h.tail_bytes = fields_[6];
    return h;
  }

 private:
  bool wrong_type() { return refuse("frame header field has the wrong type"); }
  bool refuse(const char* why) {
    refusal_ = why;
    return false;
  }

  std::uint32_t depth_ = 0;
  std::uint32_t taken_ = 0;
  std::array<std::uint64_t, kHeaderFields> fields_{};
  bool insufficient_ = false;
  std::string refusal_;
};

}  // namespace

DecodedFrame decode_frame(std::span<const char> frame, bool tail_apart) {
  std::size_t offset = 0;
  HeaderVisitor visitor;
  bool parsed = false;
  try {
    parsed = msgpack::parse(frame.data(), frame.size(), offset, visitor);
  } catch (const std::exception& e) {
    throw FrameError(std::string("undecodable frame header: ") + e.what());
  }
  DecodedFrame out;
  out.header = visitor.header(parsed);
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

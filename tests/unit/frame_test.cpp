#include "rpc/frame.hpp"

#include <gtest/gtest.h>

namespace hatch::rpc {
namespace {

TEST(Frame, EncodesAndDecodesEveryHeaderField) {
  FrameHeader h;
  h.kind = FrameKind::response;
  h.status = StatusCode::unknown_method;
  h.call_id = 0x1234567890ull;
  h.component = 77;
  h.method = 3;
  h.budget_us = 5'000'000;
  const std::string body = "body";
  std::string frame = encode_head(h, body.size(), internal::WireLimits{}) + body;
  ASSERT_EQ(decode_length(frame.data()), frame.size() - kLengthPrefixBytes);
  DecodedFrame d = decode_frame(std::span<const char>(frame).subspan(kLengthPrefixBytes));
  EXPECT_EQ(d.header.kind, FrameKind::response);
  EXPECT_EQ(d.header.status, StatusCode::unknown_method);
  EXPECT_EQ(d.header.call_id, 0x1234567890ull);
  EXPECT_EQ(d.header.component, 77u);
  EXPECT_EQ(d.header.method, 3u);
  EXPECT_EQ(d.header.budget_us, 5'000'000u);
  EXPECT_EQ(std::string(d.body.data(), d.body.size()), body);
}

TEST(Frame, SplitsATailFromTheBodyUnlessItWasReadApart) {
  FrameHeader h;
  h.tail_bytes = 4;
  const std::string rest = "bodyTAIL";
  std::string frame = encode_head(h, rest.size(), internal::WireLimits{}) + rest;
  const auto after_prefix = std::span<const char>(frame).subspan(kLengthPrefixBytes);
  DecodedFrame whole = decode_frame(after_prefix);
  EXPECT_EQ(whole.header.tail_bytes, 4u);
  EXPECT_EQ(std::string(whole.body.data(), whole.body.size()), "body");
  EXPECT_EQ(std::string(whole.tail.data(), whole.tail.size()), "TAIL");
  DecodedFrame apart = decode_frame(after_prefix.first(after_prefix.size() - 4), true);
  EXPECT_EQ(std::string(apart.body.data(), apart.body.size()), "body");
  EXPECT_TRUE(apart.tail.empty());
}

TEST(Frame, RefusesFramesOverTheLimit) {
  internal::WireLimits limits;
  limits.max_frame_bytes = 100;
  EXPECT_THROW(encode_head(FrameHeader{}, 200, limits), FrameError);
}

TEST(Frame, MalformedHeadersAreFrameErrors) {
  const std::string garbage = "\xc1\xc1\xc1";
  EXPECT_THROW(decode_frame(garbage), FrameError);
  const std::string not_array = "\x05";
  EXPECT_THROW(decode_frame(not_array), FrameError);
  const std::string six_fields("\x96\x01\x00\x01\x01\x01\x00", 7);
  EXPECT_THROW(decode_frame(six_fields), FrameError);
  const std::string bad_kind("\x97\x63\x00\x01\x01\x01\x00\x00", 8);  // kind 99
  EXPECT_THROW(decode_frame(bad_kind), FrameError);
  const std::string bad_status("\x97\x01\x63\x01\x01\x01\x00\x00", 8);  // status 99
  EXPECT_THROW(decode_frame(bad_status), FrameError);
  const std::string text_field("\x97\x01\x00\xa1x\x01\x01\x00\x00", 9);  // call id: a string
  EXPECT_THROW(decode_frame(text_field), FrameError);
  const std::string long_tail(
      "\x97\x01\x00\x01\x01\x01\x00\x05"
      "abc",
      11);  // 5 of 3 bytes
  EXPECT_THROW(decode_frame(long_tail), FrameError);
  const std::string huge_array("\xdd\xff\xff\xff\xff", 5);
  EXPECT_THROW(decode_frame(huge_array), FrameError);
}

}  // namespace
}  // namespace hatch::rpc

#include "hatch/internal/decode_cost.hpp"

#include <gtest/gtest.h>

#include "hatch/internal/codec.hpp"

namespace hatch::internal {
namespace {

template <class... A>
std::string packed_args(const A&... args) {
  WireBuffer out;
  pack_args(out, args...);
  return out.bytes();
}

std::string refusal_of(const std::string& bytes, const WireLimits& limits = {}) {
  try {
    measure_untrusted(bytes, limits);
  } catch (const BadArguments& e) {
    return e.what();
  }
  return "accepted";
}

TEST(DecodeCost, CountsTheValuesAndTheArityWithoutDecoding) {
  const DecodeCost cost =
      measure_untrusted(packed_args(std::string("key"), std::vector<int>{1, 2, 3}), {});
  ASSERT_TRUE(cost.top_array_items);
  EXPECT_EQ(*cost.top_array_items, 2u);
  EXPECT_EQ(cost.values, 6u) << "the list, the string, the vector and its three items";
  EXPECT_EQ(cost.input_bytes, packed_args(std::string("key"), std::vector<int>{1, 2, 3}).size());

  std::map<std::string, int> map{{"a", 1}, {"b", 2}};
  const DecodeCost of_map = measure_untrusted(packed_args(map), {});
  EXPECT_EQ(of_map.values, 6u) << "the list, the map, and two values per pair";

  WireBuffer scalar;
  msgpack::pack(scalar, 7);
  EXPECT_FALSE(measure_untrusted(scalar.bytes(), {}).top_array_items);
}

TEST(DecodeCost, TheDecodedFormIsChargedPerValueSoTinyValuesCostWhatTheyDecodeTo) {
  // A megabyte of nils decodes to 24 bytes of msgpack::object each, and more as C++ values.
  WireBuffer nils;
  msgpack::packer<WireBuffer> pk(nils);
  pk.pack_array(1);
  pk.pack_array(1u << 20);
  for (int i = 0; i < (1 << 20); ++i) pk.pack_nil();
  const DecodeCost cost = measure_untrusted(nils.bytes(), {});
  EXPECT_EQ(cost.values, (1u << 20) + 2);
  EXPECT_GE(cost.bytes_in_flight(), cost.values * 24) << "at least the msgpack objects";
  // One large binary is a few values: it costs about its own bytes.
  const DecodeCost blob = measure_untrusted(packed_args(std::string(1u << 20, 'x')), {});
  EXPECT_EQ(blob.values, 2u);
  EXPECT_LT(blob.bytes_in_flight(), 3 * blob.input_bytes);
}

TEST(DecodeCost, ContainersThatClaimMoreItemsThanTheBytesCouldHoldAreRefused) {
  // An array of a million items in ten bytes.
  const std::string liar("\x91\xdd\x00\x0f\x42\x40\x01\x02\x03\x04", 10);
  EXPECT_NE(refusal_of(liar).find("containers that claim 1000001 values in 10 bytes"),
            std::string::npos)
      << refusal_of(liar);
  // Maps count two values a pair.
  const std::string map_liar("\x91\xde\x00\x05\x01\x02\x03\x04", 8);
  EXPECT_NE(refusal_of(map_liar).find("claim 11 values"), std::string::npos)
      << refusal_of(map_liar);
}

TEST(DecodeCost, MalformedTruncatedTrailingAndDeepValuesAreRefusedClearly) {
  const std::string args = packed_args(std::string("key"), 42);
  EXPECT_NE(refusal_of(args.substr(0, args.size() - 1)).find("ends before its last item"),
            std::string::npos);
  EXPECT_NE(refusal_of(args + "x").find("trailing bytes"), std::string::npos);
  EXPECT_NE(refusal_of("\xc1").find("undecodable"), std::string::npos);
  EXPECT_NE(refusal_of("").find("ends before"), std::string::npos);
  std::string deep(100, '\x91');
  deep += '\x01';
  EXPECT_NE(refusal_of(deep).find("nesting deeper than 64"), std::string::npos);
  WireLimits tight;
  tight.max_container_items = 2;
  EXPECT_NE(
      refusal_of(packed_args(1, 2, 3), tight).find("an array of 3 items, over the limit of 2"),
      std::string::npos);
  EXPECT_EQ(refusal_of(packed_args(1, 2), tight), "accepted");
}

TEST(DecodeCost, TheDecoderNeverReservesRoomForMoreItemsThanTheBytesHold) {
  // The same liar, decoded: refused for its claim before the decoder allocates a million
  // objects for it, not after, when the bytes run out.
  const std::string liar("\x91\xdd\x00\x0f\x42\x40\x01\x02\x03\x04", 10);
  try {
    unpack_untrusted(liar, WireLimits{});
    FAIL() << "a truncated array decoded";
  } catch (const BadArguments& e) {
    EXPECT_NE(std::string(e.what()).find("array size overflow"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hatch::internal

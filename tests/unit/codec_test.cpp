#include "hatch/internal/codec.hpp"

#include <gtest/gtest.h>

#include "hatch/component.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

class Reflect final : public Echo {
 public:
#define HATCH_TEST_ECHO(R, name, A) \
  R name(A v) override {            \
    return v;                       \
  }
  HATCH_TEST_ECHO(std::int8_t, i8, std::int8_t)
  HATCH_TEST_ECHO(std::uint8_t, u8, std::uint8_t)
  HATCH_TEST_ECHO(std::int16_t, i16, std::int16_t)
  HATCH_TEST_ECHO(std::uint16_t, u16, std::uint16_t)
  HATCH_TEST_ECHO(std::int32_t, i32, std::int32_t)
  HATCH_TEST_ECHO(std::uint32_t, u32, std::uint32_t)
  HATCH_TEST_ECHO(std::int64_t, i64, std::int64_t)
  HATCH_TEST_ECHO(std::uint64_t, u64, std::uint64_t)
  HATCH_TEST_ECHO(float, f32, float)
  HATCH_TEST_ECHO(double, f64, double)
  HATCH_TEST_ECHO(bool, boolean, bool)
  HATCH_TEST_ECHO(std::string, text, const std::string&)
  HATCH_TEST_ECHO(Bytes, bytes, const Bytes&)
  HATCH_TEST_ECHO(std::vector<std::int32_t>, vec, const std::vector<std::int32_t>&)
  std::map<std::string, std::int64_t> map(const std::map<std::string, std::int64_t>& v) override {
    return v;
  }
  std::unordered_map<std::string, double> umap(std::unordered_map<std::string, double> v) override {
    return v;
  }
  HATCH_TEST_ECHO(std::optional<std::string>, opt, std::optional<std::string>)
  std::pair<std::int32_t, std::string> pair(std::pair<std::int32_t, std::string> v) override {
    return v;
  }
  std::tuple<std::int32_t, std::string, bool> tuple(
      std::tuple<std::int32_t, std::string, bool> v) override {
    return v;
  }
  HATCH_TEST_ECHO(Shape, variant, const Shape&)
  HATCH_TEST_ECHO(Point, point, Point)
  std::map<std::string, std::vector<std::optional<Point>>> nested(
      const std::map<std::string, std::vector<std::optional<Point>>>& v) override {
    return v;
  }
#undef HATCH_TEST_ECHO
  std::string concat(const std::string& a, std::int32_t n, const std::string& b) override {
    return a + std::to_string(n) + b;
  }
  void record(const std::string& e) override {
    last_ = e;
  }
  std::vector<std::string> recorded() override {
    return {last_};
  }
  std::int64_t add(std::int64_t a, std::int64_t b) override {
    return a + b;
  }
  void fail(const std::string&) override {
    throw std::logic_error("fail");
  }
  std::int32_t hold(std::int32_t ms) override {
    return ms;
  }
  void release() override {}
  std::int32_t in_flight() override {
    return 0;
  }
  std::string where() override {
    return "here";
  }

 private:
  std::string last_;
};

// Packs `args`, dispatches method `m` of a Reflect through the interface entry, decodes R.
template <class R, class... A>
R through_codec(std::uint32_t m, const A&... args) {
  static Reflect impl;
  internal::WireBuffer in;
  internal::pack_args(in, args...);
  internal::WireBuffer out;
  internal::interface_entry<Echo>().dispatch(static_cast<Echo*>(&impl), m, in.bytes(),
                                             internal::WireLimits{}, out);
  msgpack::object_handle h = internal::unpack_untrusted(out.bytes(), internal::WireLimits{});
  return h.get().as<R>();
}

constexpr std::uint32_t index_of(std::string_view name) {
  for (std::uint32_t i = 0; i < Echo::hatch_methods.size(); ++i) {
    if (Echo::hatch_methods[i].name == name) return i;
  }
  return 9999;
}

TEST(Codec, RoundTripsEverySupportedType) {
  EXPECT_EQ(through_codec<std::int8_t>(index_of("i8"), std::int8_t{-5}), -5);
  EXPECT_EQ(through_codec<std::uint64_t>(index_of("u64"), ~std::uint64_t{0}), ~std::uint64_t{0});
  EXPECT_EQ(through_codec<double>(index_of("f64"), 0.1), 0.1);
  EXPECT_EQ(through_codec<std::string>(index_of("text"), std::string("hé\0llo", 7)),
            std::string("hé\0llo", 7));
  const Bytes b{std::byte{1}, std::byte{0}, std::byte{200}};
  EXPECT_EQ(through_codec<Bytes>(index_of("bytes"), b), b);
  const Shape s = Point{5, 6, "z"};
  EXPECT_EQ(through_codec<Shape>(index_of("variant"), s), s);
  const std::map<std::string, std::vector<std::optional<Point>>> n{{"k", {std::nullopt, Point{}}}};
  EXPECT_EQ((through_codec<std::map<std::string, std::vector<std::optional<Point>>>>(
                index_of("nested"), n)),
            n);
  EXPECT_EQ(through_codec<std::string>(index_of("concat"), std::string("x"), std::int32_t{3},
                                       std::string("y")),
            "x3y");
}

// msgpack-c packs a whole-numbered float or double as an integer, and its range check admits
// 2^64, which no std::uint64_t holds: the cast was undefined behaviour (the dispatch fuzzer's
// UBSan stopped on a float argument sent as the integer 2^64 - 1). Every float round-trips,
// 2^64 included, as do the whole numbers at the ends of the integer range.
TEST(Codec, FloatsAtTheEdgesOfTheIntegerRangeRoundTrip) {
  for (float f : {0x1p64f, 0x1p63f, -0x1p63f, 0x1p65f, -0x1p64f, 0.0f, -0.5f, 1e38f}) {
    EXPECT_EQ(through_codec<float>(index_of("f32"), f), f) << f;
  }
  for (double d : {0x1p64, 0x1p63, -0x1p63, 0x1p64 - 2048.0, -0x1p64, 1e300, -0.0}) {
    EXPECT_EQ(through_codec<double>(index_of("f64"), d), d) << d;
  }
  // The fuzzer's input: the largest std::uint64_t for a float parameter.
  EXPECT_EQ(through_codec<float>(index_of("f32"), ~std::uint64_t{0}), 0x1p64f);
}

TEST(Codec, ArgumentsOfTheWrongTypeAreBadArgumentsNamingTheArgument) {
  try {
    through_codec<std::int64_t>(index_of("add"), std::string("one"), std::string("two"));
    FAIL();
  } catch (const internal::BadArguments& e) {
    EXPECT_NE(std::string(e.what()).find("argument 0 of add"), std::string::npos) << e.what();
  }
  EXPECT_THROW(through_codec<std::int8_t>(index_of("i8"), std::int32_t{1000}),
               internal::BadArguments)
      << "an integer out of the parameter's range is refused, not truncated";
  EXPECT_THROW(through_codec<std::int64_t>(index_of("add"), std::int64_t{1}),
               internal::BadArguments);
}

TEST(Codec, UntrustedBytesAreBoundedAndNeverCrash) {
  internal::WireLimits tight;
  tight.max_container_items = 4;
  internal::WireBuffer big;
  msgpack::pack(big, std::vector<int>(100, 1));
  EXPECT_THROW(internal::unpack_untrusted(big.bytes(), tight), internal::BadArguments);
  const std::string truncated = big.bytes().substr(0, 10);
  EXPECT_THROW(internal::unpack_untrusted(truncated, internal::WireLimits{}),
               internal::BadArguments);
  // A map header announcing 2^32-1 entries in a five-byte message.
  const std::string liar("\xdf\xff\xff\xff\xff", 5);
  EXPECT_THROW(internal::unpack_untrusted(liar, internal::WireLimits{}), internal::BadArguments);
  std::string deep(100, '\x91');
  deep += '\x01';
  EXPECT_THROW(internal::unpack_untrusted(deep, internal::WireLimits{}), internal::BadArguments);
}

}  // namespace
}  // namespace hatch::test

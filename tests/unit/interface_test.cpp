#include "hatch/interface.hpp"

#include <gtest/gtest.h>

#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

TEST(Interface, RecordsEachMethodsSemantics) {
  static_assert(Store::hatch_methods.size() == 3);
  constexpr MethodInfo put = Store::hatch_methods[0];
  EXPECT_EQ(put.name, "put");
  EXPECT_EQ(put.semantics, Semantics::write);
  EXPECT_EQ(put.arity, 2);
  EXPECT_EQ(put.shard_key, 0);
  EXPECT_EQ(put.merge, MergePolicy::none);
  constexpr MethodInfo get = Store::hatch_methods[1];
  EXPECT_EQ(get.semantics, Semantics::read);
  EXPECT_EQ(get.arity, 1);
}

HATCH_INTERFACE(Merged, (read, std::uint64_t, total, (), merge_sum),
                (read, std::vector<std::string>, all, (), merge_concat),
                (read, std::int64_t, lowest, (), merge_min),
                (read, std::int64_t, highest, (), merge_max), (read, bool, any_set, (), merge_any),
                (read, bool, all_set, (), merge_all),
                (read, std::optional<std::string>, find, (std::string), merge_first_non_empty),
                (write, void, set, (std::int32_t, std::string), shard_key<1>, merge_custom));

TEST(Interface, RecordsEveryMergePolicyAndShardKey) {
  const auto& m = Merged::hatch_methods;
  EXPECT_EQ(m[0].merge, MergePolicy::sum);
  EXPECT_EQ(m[1].merge, MergePolicy::concat);
  EXPECT_EQ(m[2].merge, MergePolicy::min);
  EXPECT_EQ(m[3].merge, MergePolicy::max);
  EXPECT_EQ(m[4].merge, MergePolicy::any);
  EXPECT_EQ(m[5].merge, MergePolicy::all);
  EXPECT_EQ(m[6].merge, MergePolicy::first_non_empty);
  EXPECT_EQ(m[6].shard_key, -1);
  EXPECT_EQ(m[7].merge, MergePolicy::custom);
  EXPECT_EQ(m[7].shard_key, 1);
  EXPECT_EQ(m[7].semantics, Semantics::write);
  EXPECT_EQ(to_string(MergePolicy::first_non_empty), "first_non_empty");
}

TEST(Interface, KnowsItsNameAndSignature) {
  EXPECT_EQ(Echo::hatch_interface_name, "Echo");
  EXPECT_NE(Store::hatch_signature.find("shard_key<0>"), std::string_view::npos);
  EXPECT_NE(Store::hatch_signature, Relay::hatch_signature);
}

TEST(WireType, AcceptsSupportedAndRejectsUnsupportedTypes) {
  static_assert(is_wire_type_v<std::map<std::string, std::vector<std::optional<Point>>>>);
  static_assert(is_wire_type_v<Shape>);
  static_assert(WireArgument<const std::string&>);
  static_assert(!WireArgument<std::string&>, "a non-const reference would be an out-parameter");
  static_assert(!WireArgument<const char*>);
  static_assert(!is_wire_type_v<std::vector<void*>>);
  static_assert(!is_wire_type_v<long double>);
  static_assert(WireResult<void>);
  static_assert(!WireResult<const std::string&>);
  SUCCEED();
}

}  // namespace
}  // namespace hatch::test

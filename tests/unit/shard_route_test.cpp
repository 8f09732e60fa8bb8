#include "hatch/internal/shard_route.hpp"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hatch/internal/merge.hpp"

namespace hatch::internal {
namespace {

TEST(ShardRoute, AKeyHashesByItsText) {
  EXPECT_EQ(shard_key_hash(std::string("42")), key_hash("42"));
  EXPECT_EQ(shard_key_hash(42), key_hash("42")) << "an integer key is its decimal text";
  EXPECT_EQ(shard_key_hash(std::int64_t{-7}), key_hash("-7"));
  EXPECT_NE(key_hash("a"), key_hash("b"));
  EXPECT_EQ(argument_hash(1, 5, std::string("k"), 3.0), key_hash("k"));
}

TEST(ShardRoute, JumpHashStaysInRangeAndMovesFewKeysWhenAShardIsAdded) {
  constexpr int kKeys = 10000;
  for (std::uint32_t n = 1; n < 8; ++n) {
    int moved = 0;
    for (int i = 0; i < kKeys; ++i) {
      const std::uint64_t h = key_hash("key-" + std::to_string(i));
      const std::uint32_t before = jump_hash(h, n);
      const std::uint32_t after = jump_hash(h, n + 1);
      ASSERT_LT(before, n);
      ASSERT_LT(after, n + 1);
      if (before != after) {
        ++moved;
        EXPECT_EQ(after, n) << "a key that moves goes to the new shard only";
      }
    }
    // Expected share 1/(n+1); 10,000 keys keep the binomial noise far inside these bounds.
    EXPECT_NEAR(moved, kKeys / (n + 1.0), kKeys * 0.03) << n << " -> " << n + 1;
  }
}

TEST(ShardRoute, MergesFollowThePolicy) {
  EXPECT_EQ(merge_results<int>(MergePolicy::sum, {1, 2, 3}, "m"), 6);
  EXPECT_EQ(merge_results<int>(MergePolicy::min, {4, 2, 3}, "m"), 2);
  EXPECT_EQ(merge_results<std::string>(MergePolicy::max, {"a", "c", "b"}, "m"), "c");
  EXPECT_TRUE(merge_results<bool>(MergePolicy::any, {false, true}, "m"));
  EXPECT_FALSE(merge_results<bool>(MergePolicy::all, {true, false}, "m"));
  EXPECT_EQ(merge_results<std::vector<int>>(MergePolicy::concat, {{1}, {2, 3}}, "m"),
            (std::vector<int>{1, 2, 3}));
  EXPECT_EQ((merge_results<std::map<std::string, int>>(MergePolicy::concat,
                                                       {{{"a", 1}}, {{"a", 9}, {"b", 2}}}, "m")),
            (std::map<std::string, int>{{"a", 1}, {"b", 2}}));
  EXPECT_EQ(
      merge_results<std::optional<int>>(MergePolicy::first_non_empty, {std::nullopt, 5, 6}, "m"),
      std::optional<int>(5));
  EXPECT_THROW(merge_results<std::string>(MergePolicy::sum, {"a", "b"}, "Cache::name"), UsageError);
}

}  // namespace
}  // namespace hatch::internal

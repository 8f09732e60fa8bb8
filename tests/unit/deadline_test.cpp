#include "hatch/deadline.hpp"

#include <gtest/gtest.h>

namespace hatch {
namespace {

TEST(DeadlineScope, NestsWithoutExtendingAndRestores) {
  EXPECT_FALSE(DeadlineScope::current());
  const auto now = DeadlineScope::Clock::now();
  {
    DeadlineScope outer(now + std::chrono::seconds(1));
    EXPECT_EQ(DeadlineScope::current(), now + std::chrono::seconds(1));
    {
      DeadlineScope looser(now + std::chrono::seconds(10));
      EXPECT_EQ(DeadlineScope::current(), now + std::chrono::seconds(1)) << "never extended";
      DeadlineScope tighter(now + std::chrono::milliseconds(5));
      EXPECT_EQ(DeadlineScope::current(), now + std::chrono::milliseconds(5));
    }
    EXPECT_EQ(DeadlineScope::current(), now + std::chrono::seconds(1));
  }
  EXPECT_FALSE(DeadlineScope::current());
}

}  // namespace
}  // namespace hatch

// The I/O leader's poll follows the gaps between events: it grows while a longer poll would have
// caught the next event, and shrinks while no poll the pool allows would have.
#include "rpc/poll_window.hpp"

#include <gtest/gtest.h>

namespace hatch::rpc {
namespace {

using std::chrono::microseconds;

TEST(PollWindow, StartsAtTheFloor) {
  PollWindow window({microseconds(50), microseconds(400)});
  EXPECT_EQ(window.current(), microseconds(50));
}

TEST(PollWindow, DoublesUpToTheCeilingWhileEventsComeSoonAfterASleep) {
  PollWindow window({microseconds(50), microseconds(400)});
  window.slept(microseconds(120));
  EXPECT_EQ(window.current(), microseconds(100));
  window.slept(microseconds(120));
  EXPECT_EQ(window.current(), microseconds(200));
  window.slept(microseconds(400));  // the ceiling itself still counts as soon
  EXPECT_EQ(window.current(), microseconds(400));
  window.slept(microseconds(300));
  EXPECT_EQ(window.current(), microseconds(400));
}

TEST(PollWindow, HalvesDownToTheFloorWhileEventsComeLaterThanTheCeiling) {
  PollWindow window({microseconds(50), microseconds(400)});
  for (int i = 0; i < 3; ++i) window.slept(microseconds(10));
  ASSERT_EQ(window.current(), microseconds(400));
  window.slept(microseconds(401));
  EXPECT_EQ(window.current(), microseconds(200));
  window.slept(std::chrono::seconds(5));
  EXPECT_EQ(window.current(), microseconds(100));
  window.slept(std::chrono::seconds(5));
  window.slept(std::chrono::seconds(5));
  EXPECT_EQ(window.current(), microseconds(50));
}

TEST(PollWindow, AFloorOfZeroNeverPolls) {
  PollWindow window({microseconds(0), microseconds(400)});
  window.slept(microseconds(10));
  EXPECT_EQ(window.current(), microseconds(0));
}

TEST(PollWindow, ACeilingBelowTheFloorIsTheFloor) {
  PollWindow window({microseconds(50), microseconds(10)});
  window.slept(microseconds(20));
  EXPECT_EQ(window.current(), microseconds(50));
  window.slept(microseconds(60));
  EXPECT_EQ(window.current(), microseconds(50));
}

}  // namespace
}  // namespace hatch::rpc

#include "learn/window_controller.hpp"

#include <cmath>

#include <gtest/gtest.h>

namespace hatch {
namespace {

TEST(WindowController, KeepsItsInitialLengthUntilItKnowsTheNoise) {
  WindowController controller({.initial_seconds = 3});
  controller.set_resolution(0.01);
  EXPECT_DOUBLE_EQ(controller.seconds(), 3);
  EXPECT_FALSE(controller.has_noise_estimate());
}

TEST(WindowController, GrowsWhenRepeatsDisagreeByMoreThanTheResolution) {
  WindowController controller({.initial_seconds = 1, .max_seconds = 1000});
  controller.set_resolution(0.01);
  controller.observe_repeat(0.50, 1, 0.56, 1);  // noise far above 0.01
  EXPECT_DOUBLE_EQ(controller.seconds(), 2) << "one step at a time";
  for (int i = 0; i < 10; ++i)
    controller.observe_repeat(0.50, controller.seconds(), 0.56, controller.seconds());
  EXPECT_GT(controller.seconds(), 8);
}

TEST(WindowController, ShrinksWhenRepeatsAgreeTightly) {
  WindowController controller({.initial_seconds = 8, .min_seconds = 0.5});
  controller.set_resolution(0.05);
  for (int i = 0; i < 10; ++i) controller.observe_repeat(0.5, 8, 0.5001, 8);
  EXPECT_DOUBLE_EQ(controller.seconds(), 0.5) << "bounded below";
}

TEST(WindowController, StaysWithinItsBounds) {
  WindowController controller({.initial_seconds = 4, .max_seconds = 10});
  controller.set_resolution(0.001);
  for (int i = 0; i < 20; ++i) controller.observe_repeat(0.2, 4, 0.8, 4);
  EXPECT_DOUBLE_EQ(controller.seconds(), 10);
}

TEST(WindowController, NoiseFallsWithTheSquareRootOfLength) {
  WindowController controller;
  controller.observe_repeat(0.5, 1, 0.6, 1);  // variance per second = 0.01 / 2
  EXPECT_NEAR(controller.noise(1), std::sqrt(0.005), 1e-12);
  EXPECT_NEAR(controller.noise(4), std::sqrt(0.005) / 2, 1e-12);
}

}  // namespace
}  // namespace hatch

#include "hatch/ref.hpp"

#include <gtest/gtest.h>

#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

class Named final : public Relay {
 public:
  explicit Named(std::string name) : name_(std::move(name)) {}
  void put_via(const std::string&, const std::string&) override {}
  std::optional<std::string> get_via(const std::string&) override { return std::nullopt; }
  std::int64_t budget_via() override { return -1; }
  std::string where() override { return name_; }

 private:
  std::string name_;
};

TEST(Ref, EveryCopyFollowsTheCurrentBinding) {
  auto cell = std::make_shared<BindingCell>("relay", Relay::hatch_interface_name);
  auto first = std::make_shared<Named>("first");
  cell->bind(first, static_cast<Relay*>(first.get()), Binding::local());
  Ref<Relay> a(cell);
  Ref<Relay> b = a;
  EXPECT_EQ(a->where(), "first");
  auto second = std::make_shared<Named>("second");
  cell->bind(second, static_cast<Relay*>(second.get()), Binding::remote("10.0.0.1:1"));
  EXPECT_EQ(a->where(), "second");
  EXPECT_EQ(b->where(), "second");
  EXPECT_EQ(b.binding().to_string(), "remote(10.0.0.1:1)");
  EXPECT_EQ(a.component(), "relay");
}

TEST(Ref, KeepsAReplacedTargetAliveForCallsInFlight) {
  auto cell = std::make_shared<BindingCell>("relay", Relay::hatch_interface_name);
  std::weak_ptr<Named> weak;
  {
    auto first = std::make_shared<Named>("first");
    weak = first;
    cell->bind(first, static_cast<Relay*>(first.get()), Binding::local());
  }
  Relay* loaded = static_cast<Relay*>(cell->target());
  auto second = std::make_shared<Named>("second");
  cell->bind(second, static_cast<Relay*>(second.get()), Binding::local());
  ASSERT_FALSE(weak.expired());
  EXPECT_EQ(loaded->where(), "first");
}

TEST(Binding, ReadsAsWords) {
  EXPECT_EQ(Binding::local().to_string(), "local");
  EXPECT_EQ((Binding{Binding::Kind::sharded, {"a:1", "b:2"}}.to_string()), "sharded(a:1,b:2)");
}

}  // namespace
}  // namespace hatch::test

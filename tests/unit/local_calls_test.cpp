// Local calls counted per method (internal/local_calls.hpp): from the first scrape on, with the
// caller that made them, their failures by status, and a counting proxy that frees its instance
// when the cell releases it.
#include "hatch/internal/local_calls.hpp"

#include <memory>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "core/metrics.hpp"
#include "hatch/component.hpp"
#include "hatch/ref.hpp"
#include "metrics_text.hpp"
#include "ops/http_server.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

class Named final : public Relay {
 public:
  explicit Named(std::string name) : name_(std::move(name)) {}
  void put_via(const std::string& key, const std::string&) override {
    if (key.empty()) throw std::invalid_argument("an empty key");
  }
  std::optional<std::string> get_via(const std::string&) override { return std::nullopt; }
  std::int64_t budget_via() override { return -1; }
  std::string where() override { return name_; }

 private:
  std::string name_;
};

// A cell named "relay" bound to a counting proxy of a Named instance.
struct Counted {
  explicit Counted(std::shared_ptr<internal::Metrics> metrics,
                   std::shared_ptr<internal::CallMeter> meter = nullptr)
      : cell(std::make_shared<BindingCell>("relay", Relay::hatch_interface_name, std::move(meter))),
        instance(std::make_shared<Named>("here")) {
    void* self = nullptr;
    auto counter =
        internal::make_counter<Relay>(instance, static_cast<Relay*>(instance.get()),
                                      std::make_shared<internal::LocalCalls>(
                                          std::move(metrics), "relay", Relay::hatch_methods.size()),
                                      &self);
    cell->bind(std::move(counter), self, Binding::local(), static_cast<Relay*>(instance.get()));
  }
  // Lets the test hold the instance only through the cell; returns its address.
  const void* let_go() {
    const void* self = static_cast<Relay*>(instance.get());
    instance.reset();
    return self;
  }
  std::shared_ptr<BindingCell> cell;
  std::shared_ptr<Named> instance;
};

std::string scrape(const std::shared_ptr<internal::Metrics>& metrics) {
  return ops::metrics_routes(metrics).at("/metrics")(ops::HttpRequest{"/metrics", ""}).body;
}

std::string series(const std::string& name, const std::string& caller, const std::string& method) {
  return name + R"({callee="relay",caller=")" + caller + R"(",method=")" + method +
         R"(",where="local"})";
}

TEST(LocalCalls, AreCountedPerMethodFromTheFirstScrapeOn) {
  auto metrics = std::make_shared<internal::Metrics>();
  Counted counted(metrics);
  Ref<Relay> relay(counted.cell);
  EXPECT_EQ(relay->where(), "here");
  const std::string before = scrape(metrics);
  EXPECT_EQ(before.find(R"(where="local")"), std::string::npos) << before;

  for (int i = 0; i < 3; ++i) EXPECT_EQ(relay->where(), "here");
  relay->put_via("k", "v");
  EXPECT_THROW(relay->put_via("", "v"), std::invalid_argument);
  const std::string after = scrape(metrics);
  EXPECT_EQ(sample(after, series("hatch_calls_total", "", "where")), 3) << after;
  EXPECT_EQ(sample(after, series("hatch_call_latency_seconds_count", "", "where")), 3);
  EXPECT_EQ(sample(after, series("hatch_calls_total", "", "put_via")), 2);
  EXPECT_EQ(sample(after, R"(hatch_call_errors_total{callee="relay",caller="",method="put_via",)"
                          R"(status="application_error",where="local"})"),
            1);
  EXPECT_EQ(after.find(R"(method="get_via")"), std::string::npos);
}

TEST(LocalCalls, NameTheCallerWhetherOrNotPerceptionMeasures) {
  auto metrics = std::make_shared<internal::Metrics>();
  auto meter = std::make_shared<internal::CallMeter>();
  Counted counted(metrics, meter);
  Ref<Relay> relay(counted.cell);
  metrics->scraped();
  {
    const internal::CallerScope front("front");
    EXPECT_EQ(relay->where(), "here");  // perception off: the thread's component is the caller
    meter->set_on(true);
    EXPECT_EQ(relay->where(), "here");  // on: the meter marked "relay" current during the call
    EXPECT_EQ(internal::current_component(), "front");
  }
  const std::string text = scrape(metrics);
  EXPECT_EQ(sample(text, series("hatch_calls_total", "front", "where")), 2) << text;
  EXPECT_EQ(text.find(R"(caller="relay")"), std::string::npos) << text;
  ASSERT_EQ(meter->take().size(), 1u);
}

TEST(LocalCalls, TheCounterAndItsInstanceAreFreedWhenTheCellReleasesTheInstance) {
  auto metrics = std::make_shared<internal::Metrics>();
  Counted counted(metrics);
  std::weak_ptr<Named> weak = counted.instance;
  const void* instance = counted.let_go();
  counted.cell->release(instance);  // still bound: kept
  EXPECT_FALSE(weak.expired());
  auto next = std::make_shared<Named>("next");
  counted.cell->bind(next, static_cast<Relay*>(next.get()), Binding::local());
  EXPECT_FALSE(weak.expired());     // a call may still run in it until the cell releases it
  counted.cell->release(instance);  // known by the instance it wraps, as a node retires it
  EXPECT_TRUE(weak.expired());
  EXPECT_EQ(Ref<Relay>(counted.cell)->where(), "next");
}

TEST(LocalCalls, ARebindToAnEarlierTargetKeepsItsInstance) {
  auto metrics = std::make_shared<internal::Metrics>();
  Counted counted(metrics);
  std::weak_ptr<Named> weak = counted.instance;
  const void* instance = counted.let_go();
  void* counter = counted.cell->target();
  auto gate = std::make_shared<Named>("gate");
  counted.cell->bind(gate, static_cast<Relay*>(gate.get()), Binding::local());
  counted.cell->bind(nullptr, counter, Binding::local());  // a transition rolled back
  counted.cell->release(instance);                         // the current target's instance: kept
  EXPECT_FALSE(weak.expired());
  EXPECT_EQ(Ref<Relay>(counted.cell)->where(), "here");
}

}  // namespace
}  // namespace hatch::test

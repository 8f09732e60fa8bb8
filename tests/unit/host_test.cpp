#include "runtime/host.hpp"

#include <gtest/gtest.h>

#include "hatch/component.hpp"
#include "hatch/internal/codec.hpp"
#include "test_interfaces.hpp"

namespace hatch::runtime {
namespace {

struct Decoded {
  std::string type;
  std::string message;
};

Decoded error_of(const Reply& r) {
  msgpack::object_handle h = internal::unpack_untrusted(r.body, internal::WireLimits{});
  auto [type, message] = h.get().as<std::pair<std::string, std::string>>();
  return {type, message};
}

class HostTest : public ::testing::Test {
 protected:
  HostTest() : host_("test-host", internal::WireLimits{}) {
    const ComponentEntry* store = Catalog::program().find("store");
    struct NoDeps final : Context {
      NoDeps() : Context("store", "test-host", {}) {}
      std::shared_ptr<BindingCell> resolve(std::string_view) override { throw UsageError("none"); }
    } context;
    host_.add(5, "store", *store->interface, store->create(context));
  }

  template <class... A>
  Reply run(std::uint32_t component, std::uint32_t method, const A&... args) {
    internal::WireBuffer in;
    internal::pack_args(in, args...);
    rpc::FrameHeader h;
    h.component = component;
    h.method = method;
    internal::Payload request;
    request.body = in.bytes();
    return host_.execute(nullptr, h, request);
  }

  Host host_;
};

TEST_F(HostTest, ServesAHostedComponent) {
  EXPECT_EQ(run(5, 0, std::string("k"), std::string("v")).status, StatusCode::ok);
  Reply r = run(5, 1, std::string("k"));
  ASSERT_EQ(r.status, StatusCode::ok);
  msgpack::object_handle h = internal::unpack_untrusted(r.body, internal::WireLimits{});
  EXPECT_EQ(h.get().as<std::optional<std::string>>(), std::optional<std::string>("v"));
}

TEST_F(HostTest, NamesUnknownComponentsAndMethods) {
  Reply r = run(6, 0);
  EXPECT_EQ(r.status, StatusCode::unknown_component);
  EXPECT_EQ(error_of(r).message, "no component with id 6 is hosted on test-host");
  r = run(5, 3);
  EXPECT_EQ(r.status, StatusCode::unknown_method);
  EXPECT_EQ(error_of(r).message, "Store has no method number 3 (it has 3)");
}

TEST_F(HostTest, RefusesArgumentsThatDoNotDecode) {
  Reply r = run(5, 1, 42);
  EXPECT_EQ(r.status, StatusCode::bad_request);
  EXPECT_NE(error_of(r).message.find("argument 0 of get"), std::string::npos);
  rpc::FrameHeader h;
  h.component = 5;
  h.method = 1;
  const std::string junk = "\xc1";
  internal::Payload request;
  request.body = junk;
  EXPECT_EQ(host_.execute(nullptr, h, request).status, StatusCode::bad_request);
}

TEST_F(HostTest, AGatedComponentAnswersMovedAndAGoneOneNamesItsNewHome) {
  ASSERT_TRUE(host_.gate(5, std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  Reply r = run(5, 1, std::string("k"));
  EXPECT_EQ(r.status, StatusCode::moved);
  host_.ungate(5);
  EXPECT_EQ(run(5, 1, std::string("k")).status, StatusCode::ok);
  host_.retire(5, "127.0.0.1:9");
  r = run(5, 1, std::string("k"));
  ASSERT_EQ(r.status, StatusCode::moved);
  EXPECT_EQ(error_of(r).message, "127.0.0.1:9");
  EXPECT_FALSE(host_.gate(5, std::chrono::steady_clock::now())) << "nothing left to gate";
}

TEST_F(HostTest, WithoutAControlHandlerControlRequestsAreRefused) {
  EXPECT_EQ(run(kControlComponent, 1).status, StatusCode::unknown_component);
}

}  // namespace
}  // namespace hatch::runtime

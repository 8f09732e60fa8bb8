#include "runtime/host.hpp"

#include <algorithm>
#include <thread>

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

// Creates the registered component `name` and adds it to `host` as `id`.
void add_component(Host& host, std::uint32_t id, const char* name) {
  const ComponentEntry* entry = Catalog::program().find(name);
  struct NoDeps final : Context {
    NoDeps(const char* name, const std::string& host) : Context(name, host, {}) {}
    std::shared_ptr<BindingCell> resolve(std::string_view) override { throw UsageError("none"); }
  } context(name, host.name());
  host.add(id, name, *entry->interface, entry->create(context));
}

// Serves a request of `method` on `component` whose body is `body`.
Reply execute_body(const Host& host, std::uint32_t component, std::uint32_t method,
                   std::string body) {
  rpc::FrameHeader h;
  h.component = component;
  h.method = method;
  internal::Payload request;
  request.body = std::move(body);
  return host.execute(nullptr, h, request);
}

template <class... A>
std::string packed_args(const A&... args) {
  internal::WireBuffer in;
  internal::pack_args(in, args...);
  return std::move(in.bytes());
}

template <class... A>
Reply run_on(const Host& host, std::uint32_t component, std::uint32_t method, const A&... args) {
  return execute_body(host, component, method, packed_args(args...));
}

template <class... A>
std::size_t cost_of(const A&... args) {
  internal::WireBuffer in;
  internal::pack_args(in, args...);
  return internal::measure_untrusted(in.bytes(), internal::WireLimits{}).bytes_in_flight();
}

class HostTest : public ::testing::Test {
 protected:
  HostTest() : host_("test-host", internal::WireLimits{}) { add_component(host_, 5, "store"); }

  template <class... A>
  Reply run(std::uint32_t component, std::uint32_t method, const A&... args) {
    return run_on(host_, component, method, args...);
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

TEST_F(HostTest, TheArityIsCheckedBeforeAnythingIsDecoded) {
  // Store::get takes one argument; these are two, one of them a million nils.
  internal::WireBuffer in;
  msgpack::packer<internal::WireBuffer> pk(in);
  pk.pack_array(2);
  pk.pack(std::string("k"));
  pk.pack_array(1u << 20);
  for (int i = 0; i < (1 << 20); ++i) pk.pack_nil();
  rpc::FrameHeader h;
  h.component = 5;
  h.method = 1;
  internal::Payload request;
  request.body = in.bytes();
  Reply r = host_.execute(nullptr, h, request);
  ASSERT_EQ(r.status, StatusCode::bad_request);
  EXPECT_EQ(error_of(r).message, "Store::get takes 1 arguments; the request carries 2");
}

TEST(HostBudget, ACallThatCouldNeverFitTheRequestBudgetIsRefusedAndDoesNotRun) {
  internal::WireLimits limits;
  limits.max_inflight_request_bytes = 64u << 10;
  Host host("test-host", limits);
  add_component(host, 5, "store");
  Reply r = run_on(host, 5, 0, std::string("k"), std::string(100u << 10, 'v'));
  ASSERT_EQ(r.status, StatusCode::resource_exhausted);
  EXPECT_NE(error_of(r).message.find("more than the whole in-flight request budget of 65536 "
                                     "bytes (WireLimits::max_inflight_request_bytes): it can "
                                     "never run here"),
            std::string::npos)
      << error_of(r).message;
  r = run_on(host, 5, 1, std::string("k"));
  ASSERT_EQ(r.status, StatusCode::ok);
  msgpack::object_handle h = internal::unpack_untrusted(r.body, internal::WireLimits{});
  EXPECT_EQ(h.get().as<std::optional<std::string>>(), std::nullopt) << "the put did not run";
}

TEST(HostBudget, CallsBeingServedHoldTheirShareUntilTheyReturn) {
  const std::string text(300, 't');
  internal::WireLimits limits;
  // Room for a held call and the text call, one byte short of both at once.
  limits.max_inflight_request_bytes = cost_of(std::int32_t{60000}) + cost_of(text) - 1;
  Host host("test-host", limits);
  add_component(host, 7, "echo");
  auto& echo = *static_cast<Echo*>(host.find(7)->instance.self);
  const auto text_method = static_cast<std::uint32_t>(
      std::find_if(Echo::hatch_methods.begin(), Echo::hatch_methods.end(),
                   [](const MethodInfo& m) { return m.name == "text"; }) -
      Echo::hatch_methods.begin());
  const auto hold_method = static_cast<std::uint32_t>(
      std::find_if(Echo::hatch_methods.begin(), Echo::hatch_methods.end(),
                   [](const MethodInfo& m) { return m.name == "hold"; }) -
      Echo::hatch_methods.begin());
  ASSERT_EQ(run_on(host, 7, text_method, text).status, StatusCode::ok) << "alone, it fits";
  std::thread held([&] { run_on(host, 7, hold_method, std::int32_t{60000}); });
  while (echo.in_flight() == 0) std::this_thread::yield();
  Reply r = run_on(host, 7, text_method, text);
  ASSERT_EQ(r.status, StatusCode::resource_exhausted);
  EXPECT_NE(error_of(r).message.find("and the calls being served hold"), std::string::npos)
      << error_of(r).message;
  EXPECT_NE(error_of(r).message.find("retry later"), std::string::npos);
  echo.release();
  held.join();
  EXPECT_EQ(run_on(host, 7, text_method, text).status, StatusCode::ok) << "the share came back";
}

// The values a Sequence on `host` as `id` holds, in order.
std::vector<std::uint64_t> sequence_items(const Host& host, std::uint32_t id) {
  return static_cast<Sequence*>(host.find(id)->instance.self)->items().second;
}

constexpr std::uint32_t kAppend = 0;  // Sequence::append
constexpr std::uint32_t kItems = 1;   // Sequence::items

TEST(HostBatch, ABackupAppliesABatchOfWritesInItsOrder) {
  Host host("backup", internal::WireLimits{});
  add_component(host, 3, "sequence");
  const std::vector<QueuedWrite> writes = {
      {kAppend, packed_args(std::uint64_t{7})},
      {kAppend, packed_args(std::uint64_t{3})},
      {kAppend, packed_args(std::uint64_t{5})},
  };
  EXPECT_EQ(execute_body(host, 3, kApplyWritesMethod, pack_write_batch(writes)).status,
            StatusCode::ok);
  EXPECT_EQ(sequence_items(host, 3), (std::vector<std::uint64_t>{7, 3, 5}));
}

TEST(HostBatch, ABatchTakesAtMost1024WritesAndHalfAFrame) {
  constexpr std::uint32_t kFrame = 64 * 1024;
  const std::vector<QueuedWrite> small(3000, {kAppend, packed_args(std::uint64_t{1})});
  EXPECT_EQ(next_batch_length(small, 1u << 30), 1024u) << "a bound on the count";
  const std::vector<QueuedWrite> larger(3000, {kAppend, std::string(100, 'x')});
  const std::size_t fitting = next_batch_length(larger, kFrame);
  EXPECT_LT(fitting, 1024u) << "a bound on the bytes";
  const std::size_t packed = pack_write_batch(std::span(larger).first(fitting)).size();
  EXPECT_LE(packed, kFrame / 2);
  EXPECT_GT(packed, kFrame / 4) << "and a batch uses most of what it may";

  const std::vector<QueuedWrite> big(3, {kAppend, std::string(kFrame / 3, 'x')});
  EXPECT_EQ(next_batch_length(big, kFrame), 1u) << "two would pass half a frame";
  const std::vector<QueuedWrite> huge(2, {kAppend, std::string(kFrame, 'x')});
  EXPECT_EQ(next_batch_length(huge, kFrame), 1u) << "one write always goes";
  EXPECT_EQ(next_batch_length({}, kFrame), 0u);
}

TEST(HostBatch, ABatchWithAnythingButWritesOfTheComponentIsRefusedWhole) {
  Host host("backup", internal::WireLimits{});
  add_component(host, 3, "sequence");
  const std::vector<QueuedWrite> with_read = {{kAppend, packed_args(std::uint64_t{1})},
                                              {kItems, packed_args()}};
  Reply r = execute_body(host, 3, kApplyWritesMethod, pack_write_batch(with_read));
  ASSERT_EQ(r.status, StatusCode::bad_request);
  EXPECT_EQ(error_of(r).message,
            "a batch of writes to sequence holds Sequence::items, which is not a write; none of "
            "the batch ran");
  const std::vector<QueuedWrite> unknown = {{kAppend, packed_args(std::uint64_t{1})}, {99, ""}};
  EXPECT_EQ(execute_body(host, 3, kApplyWritesMethod, pack_write_batch(unknown)).status,
            StatusCode::bad_request);
  EXPECT_TRUE(sequence_items(host, 3).empty()) << "nothing of a refused batch ran";
  // Not a list of [method, binary] pairs.
  r = execute_body(host, 3, kApplyWritesMethod, packed_args(std::uint64_t{1}));
  ASSERT_EQ(r.status, StatusCode::bad_request);
  EXPECT_EQ(error_of(r).message,
            "a batch of writes to sequence does not decode: a batch of writes is a list of "
            "[method, binary arguments] pairs; item 0 is not a pair");
  EXPECT_EQ(execute_body(host, 3, kApplyWritesMethod, "\xc1").status, StatusCode::bad_request);
}

TEST(HostBatch, ABatchStopsAtAWriteThatCannotRunAndSaysWhich) {
  Host host("backup", internal::WireLimits{});
  add_component(host, 3, "sequence");
  const std::vector<QueuedWrite> writes = {
      {kAppend, packed_args(std::uint64_t{1})},
      {kAppend, packed_args(std::string("not a number"))},
      {kAppend, packed_args(std::uint64_t{3})},
  };
  Reply r = execute_body(host, 3, kApplyWritesMethod, pack_write_batch(writes));
  ASSERT_EQ(r.status, StatusCode::bad_request);
  EXPECT_EQ(error_of(r).message.rfind(
                "write 2 of a batch of 3 to sequence did not run, nor did those after it: ", 0),
            0u)
      << error_of(r).message;
  EXPECT_NE(error_of(r).message.find("argument 0 of append does not decode"), std::string::npos)
      << "the cause follows: " << error_of(r).message;
  EXPECT_EQ(sequence_items(host, 3), (std::vector<std::uint64_t>{1}));
}

TEST(HostBatch, AGatedBackupAnswersABatchMovedAndRunsNoneOfIt) {
  Host host("backup", internal::WireLimits{});
  add_component(host, 3, "sequence");
  ASSERT_TRUE(host.gate(3, std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  const std::vector<QueuedWrite> writes = {{kAppend, packed_args(std::uint64_t{1})},
                                           {kAppend, packed_args(std::uint64_t{2})}};
  EXPECT_EQ(execute_body(host, 3, kApplyWritesMethod, pack_write_batch(writes)).status,
            StatusCode::moved);
  EXPECT_TRUE(sequence_items(host, 3).empty());
}

TEST_F(HostTest, WithoutAControlHandlerControlRequestsAreRefused) {
  EXPECT_EQ(run(kControlComponent, 1).status, StatusCode::unknown_component);
}

}  // namespace
}  // namespace hatch::runtime

// Fuzzes a host serving a call of a real interface (runtime/host.hpp): measuring the untrusted
// arguments, checking their arity, reserving them from the request budget, decoding them as the
// method's parameter types (hatch/internal/codec.hpp) and calling the component. The components
// are those of the tests (tests/support/test_components.cpp); Echo has a method for every type
// that can cross the wire, each returning its argument.
//
// Input: one byte that picks the component (low bits) and, with its high bit, a request budget
// of 4 KiB instead of the default; one byte for the method number (methods that do not exist
// included; 0xff is the batch of writes a primary sends its backups, runtime/replication.hpp);
// then the packed arguments, or the batch.
//
// Properties, beyond no crash, no undefined behaviour and no leak:
// - every reply is ok, or a bad_request, unknown_method, resource_exhausted or
//   application_error whose body is [type, message]; an ok reply is one msgpack value;
// - a method of Echo answers ok exactly its argument, decoded as its type and packed again;
// - serving a call holds at most twice what the host reserved for it (DecodeCost) plus a fixed
//   part: the decoded arguments and the implementation's copy of its result; a batch, what it
//   reserved for its list and for its largest write.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <spdlog/spdlog.h>

#include "allocation_peak.hpp"
#include "fuzz_check.hpp"
#include "hatch/catalog.hpp"
#include "hatch/context.hpp"
#include "hatch/internal/codec.hpp"
#include "hatch/internal/decode_cost.hpp"
#include "runtime/host.hpp"
#include "test_interfaces.hpp"

namespace hatch::fuzz {
namespace {

constexpr std::uint32_t kComponentId = 7;
constexpr std::size_t kFixedBytes = 64 * 1024;

// Components that need no dependencies and whose methods neither block nor allocate what an
// argument asks for (BigState::fill would).
constexpr const char* kComponents[] = {"echo", "store", "ledger", "counts", "tally", "blobs"};

struct NoDependencies final : Context {
  NoDependencies(std::string name, const std::string& host) : Context(std::move(name), host, {}) {}
  std::shared_ptr<BindingCell> resolve(std::string_view) override {
    throw UsageError("the fuzzed components have no dependencies");
  }
};

// What a method of Echo that returns its one argument must answer: the argument decoded as its
// type and packed again. Nothing for other methods.
template <class R, class A>
std::optional<std::string> echo_of(R (Echo::*)(A), const msgpack::object& args) {
  if constexpr (std::is_same_v<R, std::decay_t<A>>) {
    internal::WireBuffer out;
    msgpack::packer<internal::WireBuffer> pk(out);
    pk.pack(args.via.array.ptr[0].as<R>());
    return std::move(out.bytes());
  } else {
    return std::nullopt;
  }
}
template <class R, class... A>
std::optional<std::string> echo_of(R (Echo::*)(A...), const msgpack::object&) {
  return std::nullopt;
}

std::optional<std::string> expected_echo(std::uint32_t method, const msgpack::object& args) {
  constexpr auto pointers = Echo::hatch_method_pointers();
  std::optional<std::string> out;
  [&]<std::size_t... M>(std::index_sequence<M...>) {
    ((method == M ? (out = echo_of(std::get<M>(pointers), args), 0) : 0), ...);
  }
  (std::make_index_sequence<Echo::hatch_methods.size()>{});
  return out;
}

void check_reply(const runtime::Reply& reply, const internal::WireLimits& limits) {
  std::optional<msgpack::object_handle> body;
  try {
    body = internal::unpack_untrusted(reply.body, limits);
  } catch (const internal::BadArguments&) {
  }
  check(body.has_value(), "a reply's body is one msgpack value");
  if (reply.status == StatusCode::ok) return;
  check(reply.status == StatusCode::bad_request || reply.status == StatusCode::unknown_method ||
            reply.status == StatusCode::resource_exhausted ||
            reply.status == StatusCode::application_error,
        "a call fails only for its arguments, its method, the budget or the implementation");
  const msgpack::object& o = body->get();
  check(o.type == msgpack::type::ARRAY && o.via.array.size == 2 &&
            o.via.array.ptr[0].type == msgpack::type::STR &&
            o.via.array.ptr[1].type == msgpack::type::STR,
        "an error reply is [type, message]");
}

void serve(std::uint8_t choice, std::uint32_t method, std::span<const char> args) {
  const std::string name = kComponents[(choice & 0x7f) % std::size(kComponents)];
  const ComponentEntry* entry = Catalog::program().find(name);
  check(entry != nullptr, "the test components are registered");
  if (name == "echo" && method < Echo::hatch_methods.size() &&
      Echo::hatch_methods[method].name == "hold") {
    return;  // blocks until released: no input can tell it anything more
  }
  internal::WireLimits limits;
  if (choice & 0x80) limits.max_inflight_request_bytes = 4 * 1024;
  runtime::Host host("fuzz-host", limits);
  NoDependencies context(name, host.name());
  host.add(kComponentId, name, *entry->interface, entry->create(context));

  rpc::FrameHeader header;
  header.component = kComponentId;
  header.method = method;
  internal::Payload request;
  request.body = args;
  std::optional<runtime::Reply> reply;
  std::size_t held = 0;
  {
    AllocationPeak peak;
    reply = host.execute(nullptr, header, request);
    held = peak.bytes();
  }
  check_reply(*reply, limits);

  std::size_t reserved = 0;
  try {
    reserved = internal::measure_untrusted(args, limits).bytes_in_flight();
    // A batch holds its list while each write runs with a share of its own.
    if (method == runtime::kApplyWritesMethod) {
      std::size_t largest = 0;
      for (const runtime::BatchedWrite& w : runtime::unpack_write_batch(args, limits)) {
        try {
          largest =
              std::max(largest, internal::measure_untrusted(w.args, limits).bytes_in_flight());
        } catch (const internal::BadArguments&) {
        }
      }
      reserved += largest;
    }
  } catch (const internal::BadArguments&) {
  }
  check(held <= 2 * reserved + kFixedBytes,
        "serving a call holds at most twice what the host reserves for it");

  if (name != "echo" || reply->status != StatusCode::ok || method == runtime::kApplyWritesMethod)
    return;
  const msgpack::object_handle decoded = internal::unpack_untrusted(args, limits);
  if (const std::optional<std::string> expected = expected_echo(method, decoded.get())) {
    check(reply->body == *expected, "Echo answers its argument as the method's type");
  }
}

}  // namespace
}  // namespace hatch::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  hatch::fuzz::AllocationPeak::install();
  // A host logs the calls it refuses for want of memory, which the tight budget makes many.
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint32_t method = data[1] == 0xff ? hatch::runtime::kApplyWritesMethod : data[1];
  hatch::fuzz::serve(data[0], method, {reinterpret_cast<const char*>(data) + 2, size - 2});
  return 0;
}

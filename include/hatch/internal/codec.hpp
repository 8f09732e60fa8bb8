// Packing arguments and results, and dispatching a decoded call to an implementation.
//
// This is the serialization half of HATCH_INTERFACE: templates that are instantiated once per
// interface where HATCH_COMPONENT registers it. Data from the network is unpacked with the
// limits of WireLimits, and a value that does not decode as the method's types is a
// BadArguments error naming the argument, never a crash.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "hatch/error.hpp"
#include "hatch/internal/call_target.hpp"
#include "hatch/internal/msgpack.hpp"
#include "hatch/internal/wire_buffer.hpp"
#include "hatch/internal/wire_limits.hpp"

namespace hatch::internal {

// Arguments that do not decode as the method's parameter types.
class BadArguments : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Unpacks one msgpack value from untrusted bytes within `limits`. Throws BadArguments.
// The object's strings and binaries point into `bytes`, which must outlive the handle.
msgpack::object_handle unpack_untrusted(std::span<const char> bytes, const WireLimits& limits);

template <class... A>
void pack_args(WireBuffer& out, const A&... args) {
  msgpack::packer<WireBuffer> pk(out);
  pk.pack_array(sizeof...(A));
  (pk.pack(args), ...);
}

template <class R>
R decode_result(const Payload& reply, const CallTarget& target, std::uint32_t method) {
  try {
    msgpack::object_handle handle = unpack_untrusted(reply.body, WireLimits{});
    return handle.get().as<R>();
  } catch (const BadArguments& e) {
    throw BadRequest(StatusCode::bad_request, target.method_name(method), "", e.what());
  } catch (const msgpack::type_error&) {
    throw BadRequest(StatusCode::bad_request, target.method_name(method), "",
                     "the result does not decode as the declared result type");
  }
}

// The link that HatchProxy forwards through when the component is remote.
class RemoteLink {
 public:
  explicit RemoteLink(std::shared_ptr<CallTarget> target) : target_(std::move(target)) {}

  template <class R, class... A>
  R call(std::uint32_t method, const A&... args) {
    WireBuffer body;
    pack_args(body, args...);
    Payload reply = target_->call(method, std::move(body));
    if constexpr (!std::is_void_v<R>) return decode_result<R>(reply, *target_, method);
  }

  const std::shared_ptr<CallTarget>& target() const noexcept { return target_; }

 private:
  std::shared_ptr<CallTarget> target_;
};

template <class T>
T decode_argument(const msgpack::object& o, std::size_t index, std::string_view method) {
  try {
    return o.as<T>();
  } catch (const msgpack::type_error&) {
    throw BadArguments("argument " + std::to_string(index) + " of " + std::string(method) +
                       " does not decode as the declared parameter type");
  }
}

template <class I, class R, class... A, std::size_t... K>
void invoke_decoded(I& self, R (I::*fn)(A...), const msgpack::object& args, std::string_view method,
                    WireBuffer& out, std::index_sequence<K...>) {
  if (args.type != msgpack::type::ARRAY || args.via.array.size != sizeof...(A)) {
    throw BadArguments(std::string(method) + " takes " + std::to_string(sizeof...(A)) +
                       " arguments; the request does not carry that many");
  }
  std::tuple<std::decay_t<A>...> decoded{
      decode_argument<std::decay_t<A>>(args.via.array.ptr[K], K, method)...};
  msgpack::packer<WireBuffer> pk(out);
  if constexpr (std::is_void_v<R>) {
    (self.*fn)(std::move(std::get<K>(decoded))...);
    pk.pack_nil();
  } else {
    pk.pack((self.*fn)(std::move(std::get<K>(decoded))...));
  }
}

// Calls method number `method` of `self` with arguments decoded from `args`; packs the result
// into `out`. Throws BadArguments for arguments that do not decode; an exception thrown by the
// implementation propagates unchanged.
template <class I>
void dispatch(I& self, std::uint32_t method, const msgpack::object& args, WireBuffer& out) {
  constexpr auto pointers = I::hatch_method_pointers();
  [&]<std::size_t... M>(std::index_sequence<M...>) {
    (void)((method == M
                ? (invoke_decoded(self, std::get<M>(pointers), args, I::hatch_methods[M].name, out,
                                  std::make_index_sequence<I::hatch_methods[M].arity>{}),
                   true)
                : false) ||
           ...);
  }
  (std::make_index_sequence<I::hatch_methods.size()>{});
}

}  // namespace hatch::internal

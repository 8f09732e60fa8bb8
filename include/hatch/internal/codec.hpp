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

#include "hatch/deadline.hpp"
#include "hatch/error.hpp"
#include "hatch/internal/binding_cell.hpp"
#include "hatch/internal/call_target.hpp"
#include "hatch/internal/call_tracker.hpp"
#include "hatch/internal/merge.hpp"
#include "hatch/internal/msgpack.hpp"
#include "hatch/internal/shard_route.hpp"
#include "hatch/internal/wire_buffer.hpp"
#include "hatch/internal/wire_limits.hpp"

namespace hatch::internal {

using Clock = std::chrono::steady_clock;

// Arguments that do not decode as the method's parameter types.
class BadArguments : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Unpacks one msgpack value from untrusted bytes within `limits`. Throws BadArguments.
// The object's strings and binaries point into `bytes`, which must outlive the handle.
msgpack::object_handle unpack_untrusted(std::span<const char> bytes, const WireLimits& limits);
// The same for the first value in `bytes` from `offset` on, which it advances past the value:
// bytes may follow it.
msgpack::object_handle unpack_untrusted_prefix(std::span<const char> bytes,
                                               const WireLimits& limits, std::size_t& offset);

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

// "Interface::method" for messages.
template <class I>
std::string method_name(std::uint32_t method) {
  return std::string(I::hatch_interface_name) + "::" + std::string(I::hatch_methods[method].name);
}

// Waits, parked, until `cell` is rebound after `generation`, then calls `fn` on its new
// target. Throws DeadlineExceeded at `deadline`.
template <class R, class I, class... P, class... A>
R call_after_rebind(BindingCell& cell, std::uint64_t generation, Clock::time_point deadline,
                    std::uint32_t method, R (I::*fn)(P...), const A&... args) {
  {
    ParkedCall parked(&cell);
    if (!cell.wait_for_rebind(generation, deadline)) {
      throw DeadlineExceeded(StatusCode::deadline_exceeded, method_name<I>(method),
                             cell.binding().to_string(),
                             "the component was still moving at the call's deadline");
    }
  }
  return (static_cast<I*>(cell.target())->*fn)(args...);
}

// The link that HatchProxy forwards through when the component is remote. `cell` is the cell
// the proxy is bound in; it owns the proxy, so it outlives the link.
class RemoteLink {
 public:
  RemoteLink(std::shared_ptr<CallTarget> target, BindingCell& cell)
      : target_(std::move(target)), cell_(cell) {}

  template <class R, class I, class... P, class... A>
  R call(std::uint32_t method, R (I::*fn)(P...), const A&... args) {
    const std::uint64_t generation = cell_.generation();
    WireBuffer body;
    pack_args(body, args...);
    Payload reply;
    try {
      if (target_->sharded()) {
        const MethodInfo& info = I::hatch_methods[method];
        if (info.shard_key < 0) return scatter<R>(method, info.merge, std::move(body));
        reply =
            target_->call_shard(argument_hash(info.shard_key, args...), method, std::move(body));
      } else {
        reply = target_->call(method, std::move(body));
      }
    } catch (const Moved& moved) {
      return call_after_rebind(cell_, generation, moved.deadline, method, fn, args...);
    }
    if constexpr (!std::is_void_v<R>) return decode_result<R>(reply, *target_, method);
  }

  const std::shared_ptr<CallTarget>& target() const noexcept { return target_; }

 private:
  // A call without a shard key to a sharded component: every shard answers; a read's results
  // are merged by its policy, a write is a broadcast.
  template <class R>
  R scatter(std::uint32_t method, MergePolicy policy, WireBuffer&& body) {
    std::vector<Payload> replies = target_->call_all(method, std::move(body));
    if constexpr (!std::is_void_v<R>) {
      std::vector<R> results;
      results.reserve(replies.size());
      for (const Payload& reply : replies) {
        results.push_back(decode_result<R>(reply, *target_, method));
      }
      return merge_results<R>(policy, std::move(results), target_->method_name(method));
    }
  }

  std::shared_ptr<CallTarget> target_;
  BindingCell& cell_;
};

// The link of a closed gate: callers wait until the transition rebinds the cell, then call
// the new target. Bound only while a transition runs.
class GateLink {
 public:
  GateLink(BindingCell& cell, std::chrono::milliseconds timeout)
      : cell_(cell), generation_(cell.generation() + 1), timeout_(timeout) {}

  template <class R, class I, class... P, class... A>
  R call(std::uint32_t method, R (I::*fn)(P...), const A&... args) {
    Clock::time_point deadline = Clock::now() + timeout_;
    if (auto scoped = DeadlineScope::current()) deadline = std::min(deadline, *scoped);
    return call_after_rebind(cell_, generation_, deadline, method, fn, args...);
  }

 private:
  BindingCell& cell_;
  const std::uint64_t generation_;  // the generation the gate itself is bound at
  const std::chrono::milliseconds timeout_;
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

// HATCH_COMPONENT: register an implementation of an interface under a name.
//
//   class LruCache final : public Cache { ... };
//   HATCH_COMPONENT(LruCache, Cache, "cache");
//
// Put it in the implementation's .cpp file. The class is constructed from a hatch::Context& when
// it has such a constructor, and default-constructed otherwise. It must be safe to call from
// several threads at once: calls arrive concurrently from local and remote callers.
//
// This header compiles the interface's serialization code; include it only where components
// are registered, not in headers.
#pragma once

#include <cstring>
#include <memory>
#include <type_traits>

#include <boost/preprocessor/cat.hpp>

#include "hatch/catalog.hpp"
#include "hatch/context.hpp"
#include "hatch/internal/codec.hpp"
#include "hatch/internal/local_calls.hpp"
#include "hatch/state.hpp"

namespace hatch::internal {

template <class I>
void dispatch_erased(void* self, std::uint32_t method, std::span<const char> args,
                     const WireLimits& limits, WireBuffer& out) {
  msgpack::object_handle handle = unpack_untrusted(args, limits);
  dispatch(*static_cast<I*>(self), method, handle.get(), out);
}

template <class I>
std::shared_ptr<void> make_proxy(std::shared_ptr<CallTarget> target, BindingCell& cell,
                                 void** self) {
  auto proxy = std::make_shared<typename I::template HatchProxy<RemoteLink>>(
      RemoteLink(std::move(target), cell));
  *self = static_cast<void*>(static_cast<I*>(proxy.get()));
  return proxy;
}

template <class I>
std::shared_ptr<void> make_gate(BindingCell& cell, std::chrono::milliseconds timeout, void** self) {
  auto gate = std::make_shared<typename I::template HatchProxy<GateLink>>(GateLink(cell, timeout));
  *self = static_cast<void*>(static_cast<I*>(gate.get()));
  return gate;
}

template <class I>
std::shared_ptr<void> make_counter(std::shared_ptr<void> owner, void* target,
                                   std::shared_ptr<LocalCalls> calls, void** self) {
  auto counter = std::make_shared<typename I::template HatchProxy<CountingLink>>(
      CountingLink(std::move(owner), target, std::move(calls)));
  *self = static_cast<void*>(static_cast<I*>(counter.get()));
  return counter;
}

template <class I>
const InterfaceEntry& interface_entry() {
  static const InterfaceEntry entry{
      I::hatch_interface_name, I::hatch_signature, std::span<const MethodInfo>(I::hatch_methods),
      &dispatch_erased<I>,     &make_proxy<I>,     &make_gate<I>,
      &make_counter<I>};
  return entry;
}

template <class Impl, class I>
Instance create_component(Context& context) {
  std::shared_ptr<Impl> impl;
  if constexpr (std::is_constructible_v<Impl, Context&>) {
    impl = std::make_shared<Impl>(context);
  } else {
    impl = std::make_shared<Impl>();
  }
  Instance out;
  out.self = static_cast<void*>(static_cast<I*>(impl.get()));
  if constexpr (std::is_base_of_v<StatefulState, Impl>) out.whole = impl.get();
  if constexpr (std::is_base_of_v<KeyedState, Impl>) out.keyed = impl.get();
  out.owner = std::move(impl);
  return out;
}

template <class Impl>
constexpr StateKind state_kind() {
  if constexpr (std::is_base_of_v<KeyedState, Impl>) return StateKind::keyed;
  if constexpr (std::is_base_of_v<StatefulState, Impl>) return StateKind::stateful;
  return StateKind::stateless;
}

template <class Impl, class I>
bool register_component(const char* name) {
  static_assert(std::is_base_of_v<I, Impl>,
                "HATCH_COMPONENT: the class must implement the interface");
  static_assert(std::is_constructible_v<Impl, Context&> || std::is_default_constructible_v<Impl>,
                "HATCH_COMPONENT: the class needs a constructor taking hatch::Context& or none");
  static_assert(!(std::is_base_of_v<StatefulState, Impl> && std::is_base_of_v<KeyedState, Impl>),
                "HATCH_COMPONENT: a component is either stateful or keyed, not both");
  return Catalog::register_component(
      ComponentEntry{name, &interface_entry<I>(), state_kind<Impl>(), &create_component<Impl, I>});
}

}  // namespace hatch::internal

namespace hatch {

// Packs any wire type into bytes, for save_state() and export_entries().
template <class T>
Bytes to_bytes(const T& value) {
  static_assert(is_wire_type_v<T>, "hatch::to_bytes: not a wire type");
  internal::WireBuffer out;
  msgpack::pack(out, value);
  const std::string& b = out.bytes();
  Bytes bytes(b.size());
  std::memcpy(bytes.data(), b.data(), b.size());
  return bytes;
}

// Unpacks bytes made by to_bytes(). Throws UsageError when they do not hold a T.
template <class T>
T from_bytes(const Bytes& bytes) {
  try {
    msgpack::object_handle h = internal::unpack_untrusted(
        std::span<const char>(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
        internal::WireLimits{});
    return h.get().as<T>();
  } catch (const std::exception& e) {
    throw UsageError(std::string("hatch::from_bytes: the bytes do not hold the expected type: ") +
                     e.what());
  }
}

// The entries of a string-keyed map, each value packed with to_bytes(): what a keyed
// component's export_entries() returns when its state is such a map.
template <class Map>
StateEntries to_entries(const Map& map) {
  StateEntries out;
  out.reserve(map.size());
  for (const auto& [key, value] : map) out.emplace_back(key, to_bytes(value));
  return out;
}

// Adds entries made by to_entries() to `map`, replacing entries with the same key: what
// import_entries() does for such a map. Throws UsageError when a value does not decode.
template <class Map>
void add_entries(Map& map, const StateEntries& entries) {
  for (const auto& [key, bytes] : entries) {
    map[key] = from_bytes<typename Map::mapped_type>(bytes);
  }
}

}  // namespace hatch

#define HATCH_COMPONENT(Impl, Interface, name)                                             \
  [[maybe_unused]] static const bool BOOST_PP_CAT(hatch_component_registered_, __LINE__) = \
      ::hatch::internal::register_component<Impl, Interface>(name)

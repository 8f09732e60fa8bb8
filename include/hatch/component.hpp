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

#include <memory>
#include <type_traits>

#include <boost/preprocessor/cat.hpp>

#include "hatch/catalog.hpp"
#include "hatch/context.hpp"
#include "hatch/internal/codec.hpp"

namespace hatch::internal {

template <class I>
void dispatch_erased(void* self, std::uint32_t method, std::span<const char> args,
                     const WireLimits& limits, WireBuffer& out) {
  msgpack::object_handle handle = unpack_untrusted(args, limits);
  dispatch(*static_cast<I*>(self), method, handle.get(), out);
}

template <class I>
std::shared_ptr<void> make_proxy(std::shared_ptr<CallTarget> target, void** self) {
  auto proxy =
      std::make_shared<typename I::template HatchProxy<RemoteLink>>(RemoteLink(std::move(target)));
  *self = static_cast<void*>(static_cast<I*>(proxy.get()));
  return proxy;
}

template <class I>
const InterfaceEntry& interface_entry() {
  static const InterfaceEntry entry{I::hatch_interface_name, I::hatch_signature,
                                    std::span<const MethodInfo>(I::hatch_methods),
                                    &dispatch_erased<I>, &make_proxy<I>};
  return entry;
}

template <class Impl, class I>
std::shared_ptr<void> create_component(Context& context, void** self) {
  std::shared_ptr<Impl> impl;
  if constexpr (std::is_constructible_v<Impl, Context&>) {
    impl = std::make_shared<Impl>(context);
  } else {
    impl = std::make_shared<Impl>();
  }
  *self = static_cast<void*>(static_cast<I*>(impl.get()));
  return impl;
}

template <class Impl, class I>
bool register_component(const char* name) {
  static_assert(std::is_base_of_v<I, Impl>,
                "HATCH_COMPONENT: the class must implement the interface");
  static_assert(std::is_constructible_v<Impl, Context&> || std::is_default_constructible_v<Impl>,
                "HATCH_COMPONENT: the class needs a constructor taking hatch::Context& or none");
  return Catalog::register_component(
      ComponentEntry{name, &interface_entry<I>(), &create_component<Impl, I>});
}

}  // namespace hatch::internal

#define HATCH_COMPONENT(Impl, Interface, name)                                             \
  [[maybe_unused]] static const bool BOOST_PP_CAT(hatch_component_registered_, __LINE__) = \
      ::hatch::internal::register_component<Impl, Interface>(name)

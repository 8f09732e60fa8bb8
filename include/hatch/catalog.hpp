// The catalog: which interfaces and component implementations this program contains.
//
// HATCH_COMPONENT adds an entry during static initialization; from main() on, the catalog is
// only read. A node can create a component only if its binary registered it, and checks that
// its interface was compiled from the same declaration as the origin's (the signature).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hatch/internal/binding_cell.hpp"
#include "hatch/internal/call_target.hpp"
#include "hatch/internal/wire_buffer.hpp"
#include "hatch/internal/wire_limits.hpp"
#include "hatch/method_spec.hpp"
#include "hatch/state.hpp"

namespace hatch {

class Context;

namespace internal {
class LocalCalls;
}  // namespace internal

// Everything the runtime needs to serve and to call one interface, without knowing its type.
struct InterfaceEntry {
  std::string_view name;
  std::string_view signature;
  std::span<const MethodInfo> methods;

  // Decodes `args` (within `limits`), calls method `method` of `self` (an I*) and packs the
  // result into `out`. Requires method < methods.size(). Throws internal::BadArguments for
  // arguments that do not decode; an exception of the implementation propagates.
  void (*dispatch)(void* self, std::uint32_t method, std::span<const char> args,
                   const internal::WireLimits& limits, internal::WireBuffer& out);

  // Makes a proxy, to be bound in `cell`, that forwards every call to `target`. Stores the I*
  // in `*self`; the returned pointer owns it.
  std::shared_ptr<void> (*make_proxy)(std::shared_ptr<internal::CallTarget> target,
                                      BindingCell& cell, void** self);

  // Makes a closed gate for `cell`: its calls wait until the cell is rebound (at most
  // `timeout`), then go to the new target.
  std::shared_ptr<void> (*make_gate)(BindingCell& cell, std::chrono::milliseconds timeout,
                                     void** self);

  // Makes a counting proxy for a local instance (`target`, an I*, owned by `owner`): it calls
  // the instance and counts each call per method into `calls` (internal/local_calls.hpp).
  std::shared_ptr<void> (*make_counter)(std::shared_ptr<void> owner, void* target,
                                        std::shared_ptr<internal::LocalCalls> calls, void** self);
};

// "Interface::method" for messages; "#n" for a method the interface does not have.
std::string method_label(const InterfaceEntry& interface, std::uint32_t method);

// A created component instance, with its state contract if it has one.
struct Instance {
  std::shared_ptr<void> owner;
  void* self = nullptr;  // an I* of the component's interface
  StatefulState* whole = nullptr;
  KeyedState* keyed = nullptr;
};

struct ComponentEntry {
  std::string name;
  const InterfaceEntry* interface = nullptr;
  StateKind kind = StateKind::stateless;
  // Creates an instance.
  Instance (*create)(Context& context) = nullptr;
};

class Catalog {
 public:
  // The catalog of this program, filled by HATCH_COMPONENT before main() runs.
  static const Catalog& program();

  // Adds an entry; for HATCH_COMPONENT during static initialization only. A second component
  // with the same name aborts the program with a message: it is a build error.
  static bool register_component(ComponentEntry entry);

  // The entry named `name`, or null.
  const ComponentEntry* find(std::string_view name) const;
  // The names of every registered component, sorted.
  std::vector<std::string> names() const;
  // The same names as one line for error messages: "a, b, c", or "(none)".
  std::string names_line() const;
  // Throws UsageError unless `name` is registered: "<what> names 'x', which is no component of
  // this program; its components: a, b". For settings that name components.
  void require(std::string_view name, std::string_view what) const;

  void add(ComponentEntry entry);

 private:
  std::vector<ComponentEntry> components_;
};

}  // namespace hatch

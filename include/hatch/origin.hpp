// The origin: the process that runs the program's main, owns the component graph and decides
// where each component lives. It is the single authority over placement; nodes act only on its
// orders, so no consensus is needed.
//
//   hatch::Options options;
//   options.secret = read_secret();
//   options.placements["kv"] = "127.0.0.1:7001";   // create "kv" on that node
//   hatch::Origin origin(hatch::Catalog::program(), options);
//   hatch::Ref<KeyValue> kv = origin.get<KeyValue>("kv");
//   kv->put("a", "1");
//
// Components are created on first use, with their dependencies, where their placement says.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hatch/catalog.hpp"
#include "hatch/error.hpp"
#include "hatch/internal/call_meter.hpp"
#include "hatch/options.hpp"
#include "hatch/ref.hpp"
#include "hatch/transition.hpp"

namespace hatch {

class Origin {
 public:
  // `catalog` must outlive the origin.
  Origin(const Catalog& catalog, Options options);
  ~Origin();
  Origin(const Origin&) = delete;
  Origin& operator=(const Origin&) = delete;

  // A ref to the component named `name`, creating it (and its dependencies) if needed.
  // Throws UsageError when no such component is registered or it does not implement I, and
  // RemoteError when its node cannot create it.
  template <class I>
  Ref<I> get(std::string_view name) {
    std::shared_ptr<BindingCell> cell = resolve(name);
    if (cell->interface_name() != I::hatch_interface_name) {
      throw UsageError("component '" + std::string(name) + "' implements " +
                       std::string(cell->interface_name()) + ", not " +
                       std::string(I::hatch_interface_name));
    }
    return Ref<I>(std::move(cell));
  }

  // The binding cell of `name`, creating the component if needed.
  std::shared_ptr<BindingCell> resolve(std::string_view name);

  // Moves component `name` to `host` ("local" or "origin" for this process, or a node's
  // "host:port"), with its state, while it serves calls. Callers wait during the pause and
  // lose no call. On failure (the target unreachable, refusing, or dying) the component stays
  // at its old home with its state, and the report says what failed. Transitions run one at a
  // time. Throws UsageError for an unknown component or a malformed address.
  TransitionReport relocate(std::string_view name, std::string_view host);

  // Moves each component the design names to its placement, in name order, while it serves
  // calls: to one host (as relocate does), replicated, or sharded, from any of these. One
  // report per component; a failed transition leaves its component where it was, with its
  // state. Throws UsageError for an unknown component, a malformed address, or a placement the
  // component's kind does not allow (sharding a component whose state is not keyed, or whose
  // reads lack a shard key and a merge policy): every placement is checked before anything
  // moves.
  std::vector<TransitionReport> apply(const Design& design);

  // Perception of the component graph. Turns on, here and on every node the origin talks to,
  // the timing of calls between components (internal/call_meter.hpp), and returns per caller
  // and callee the calls measured since the last take: nothing the first time. A node that does
  // not answer is left out, with a warning in the log. Measuring costs each call two clock
  // reads and a short lock.
  std::vector<CallEdge> take_call_metrics();
  // Turns that timing off everywhere; calls cost one relaxed load again.
  void stop_call_metrics();
  // While calls are timed, each entry call of this process (a call from outside any component,
  // or every call into `component` when it is given) is shown to `observer` as it ends; null
  // stops that. The learner's reward reads these.
  void observe_entry(std::shared_ptr<EntryObserver> observer, std::string component = {});

  // Every component created so far, with its placement now.
  Design placements() const;

  // A node this origin has dialled, whether a connection to it is open now, whether it is
  // taken as dead (it answered no heartbeat for Options::node_timeout), and whether it has
  // left: it asked to be drained (a node does on SIGTERM), and nothing was placed there since.
  struct NodeLink {
    std::string address;
    bool connected = false;
    bool dead = false;
    bool left = false;
  };
  std::vector<NodeLink> nodes() const;

  // The nodes components may be placed on now: those Options::nodes lists (its files and DNS
  // names read again as they change) and those that joined (Options::listen), less the nodes
  // taken as dead and those that left. Sorted. The autopilot's design space follows it.
  std::vector<std::string> members() const;
  // Counts the changes of members(). wait_for_members blocks until the count passes `seen`
  // (true) or `timeout` passes (false).
  std::uint64_t members_version() const;
  bool wait_for_members(std::uint64_t seen, std::chrono::milliseconds timeout) const;
  // Where nodes join this origin (Options::listen, with the port it got), or "" when they
  // cannot.
  std::string listen_address() const;

  // A component whose state lived only on a node taken as dead (or, sharded, a shard of it):
  // the state is lost, and calls to it fail until it is placed again. Each is logged as an
  // error when its node dies, and leaves this list if the node answers again.
  struct LostComponent {
    std::string component;
    std::string node;
    std::string placement;  // where it was, Placement::to_string()
  };
  std::vector<LostComponent> lost_components() const;

  const Options& options() const noexcept;
  const Catalog& catalog() const noexcept;

  // Closes connections and stops the I/O threads. Calls through refs fail afterwards.
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hatch

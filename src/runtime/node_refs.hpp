// A node's refs to the components that its instances depend on: resolved through the origin
// on first use, rebound when the origin pushes a new directory, gated and drained when a
// transition moves a component that lives on this node and is called from it directly.
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "hatch/catalog.hpp"
#include "hatch/internal/binding_cell.hpp"
#include "hatch/internal/call_meter.hpp"
#include "hatch/internal/mutex.hpp"
#include "hatch/placement.hpp"
#include "runtime/control.hpp"
#include "runtime/host.hpp"
#include "runtime/placement_binding.hpp"

namespace hatch::runtime {

class NodeRefs {
 public:
  struct Hooks {
    // Asks the origin where `name` is. Throws when it cannot.
    std::function<ResolveReply(const std::string& name)> resolve_at_origin;
    // The process's name as placements spell it, once the origin named it.
    std::function<std::string()> self;
    // How to reach each home, and whom to tell of lost replicas and gated homes (Reach).
    std::function<std::shared_ptr<rpc::Endpoint>(const std::string& location)> endpoint_for;
    std::function<void(const std::string& name, const std::string& home)> lost_replica;
    std::function<void(const std::string& name, std::uint32_t id, const std::string& home)>
        stale_home;
    // Where calls to remote homes are counted; may be null (Reach::metrics).
    std::shared_ptr<internal::Metrics> metrics;
  };

  // `catalog` and `host` must outlive the refs.
  NodeRefs(const Catalog& catalog, const Host& host, std::shared_ptr<internal::CallMeter> meter,
           std::chrono::milliseconds timeout, Hooks hooks);

  // The cell of `name`, resolved through the origin the first time.
  std::shared_ptr<BindingCell> resolve(const std::string& name);
  // Closes the gate on the refs that call instance `id` in this process directly, and waits
  // for their calls. Returns false if some still run at `deadline`.
  [[nodiscard]] bool gate_local(std::uint32_t id, std::chrono::steady_clock::time_point deadline);
  // The directory changed: refs to `old_id` now go to `new_id` at `placement`.
  void rebind(std::uint32_t old_id, std::uint32_t new_id, const Placement& placement);
  // A transition of `id` was abandoned: its refs go where they went before.
  void rebind_home(std::uint32_t id);
  // Frees the instance `target` of `id`, which left this node: no call runs in it any more.
  void release(std::uint32_t id, const void* target);
  // Forgets every ref (a new origin took over).
  void clear();

 private:
  void bind(BindingCell& cell, const std::string& name, std::uint32_t id,
            const Placement& placement);

  struct Ref {
    std::shared_ptr<BindingCell> cell;
    std::uint32_t id = 0;
    Placement placement;  // where it was last put, to return to when a transition fails
  };
  const Catalog& catalog_;
  const Host& host_;
  const std::shared_ptr<internal::CallMeter> meter_;
  const std::chrono::milliseconds timeout_;
  const Hooks hooks_;
  Mutex mu_;
  std::map<std::string, Ref> refs_ HATCH_GUARDED_BY(mu_);
};

// The placement a control message spells as `kind`, `homes` and `shard_replicas`. Throws
// UsageError when it is not one.
Placement read_placement(std::uint8_t kind, const std::vector<std::string>& homes,
                         const std::vector<std::uint32_t>& shard_replicas);

}  // namespace hatch::runtime

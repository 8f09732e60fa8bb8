// The CallTarget of a replicated component: one target per replica, the first the primary.
//
// With writes_to_primary (stateful and keyed components), a write goes to the primary, which
// applies it and forwards it to every backup before it answers (runtime::Host), so writes have
// one total order and a read that starts after a write returned sees it on any replica. Reads,
// and every call of a stateless component, go to the replica with the fewest calls
// outstanding from this process. A read whose replica is unreachable is tried on the next.
// A replica found unreachable is reported (`lost`), so that the origin can take it out of the
// set; a write whose primary is unreachable fails (it may or may not have run), and the writes
// after the origin's failover go to the new primary.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hatch/catalog.hpp"
#include "hatch/internal/call_target.hpp"

namespace hatch::primitives {

class ReplicatedTarget final : public internal::CallTarget {
 public:
  using LostReplica = std::function<void(const std::string& home)>;

  // `homes[i]` names `replicas[i]`, for `lost`, which may be empty.
  ReplicatedTarget(std::vector<std::shared_ptr<internal::CallTarget>> replicas,
                   std::vector<std::string> homes, const InterfaceEntry& interface,
                   bool writes_to_primary, LostReplica lost);

  internal::Payload call(std::uint32_t method, internal::WireBuffer&& args) override;
  std::string method_name(std::uint32_t method) const override;

 private:
  struct Replica {
    std::shared_ptr<internal::CallTarget> target;
    std::string home;
    std::atomic<int> outstanding{0};
  };
  // Calls `replica`, reporting it lost when it cannot be reached.
  internal::Payload call_one(Replica& replica, std::uint32_t method, internal::WireBuffer&& args);
  // The index of the replica with the fewest outstanding calls, skipping those in `tried`.
  // Requires one not tried.
  std::size_t least_loaded(const std::vector<bool>& tried) const;

  std::vector<std::unique_ptr<Replica>> replicas_;
  const InterfaceEntry& interface_;
  const bool writes_to_primary_;
  const LostReplica lost_;
  mutable std::atomic<std::size_t> rotor_{0};
};

}  // namespace hatch::primitives

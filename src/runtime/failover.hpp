// Keeping a replicated component's set of replicas true: a replica that no caller can reach,
// or that its primary dropped because it missed a write, leaves the set through an ordinary
// transition, and a home of the current placement that is found gated with no transition
// running is repaired.
//
// A report may come from an instance that a transition replaced since (a primary left behind,
// a caller with an old binding): the move is planned on the component's record when its turn
// comes (runtime::TransitionPlan), and a report that names another instance than the current
// one is dropped.
//
// A failover that fails (the lost replica stalls instead of dying, so its gate times out) is
// tried again with a growing delay while the replica is still in the placement and still
// missed writes: a replica that missed writes never stays in the set, and one that merely
// stalled reopens through the transition's abandon or its gate's lease (host_control.hpp).
//
// Thread safety: every member may be called from any thread. The work runs on `io`, one
// failover per replica at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "hatch/internal/mutex.hpp"
#include "hatch/transition.hpp"
#include "rpc/asio.hpp"
#include "runtime/directory.hpp"
#include "runtime/transition.hpp"

namespace hatch::runtime {

class Failover {
 public:
  struct Hooks {
    // Runs a transition of `name` where the plan says (one at a time with every other
    // transition); none when it says nothing is to move.
    std::function<std::optional<TransitionReport>(const std::string& name,
                                                  const TransitionPlan& plan)>
        transition;
    // Whether `home` can be reached now.
    std::function<bool(const std::string& home)> reachable;
    // Reopens `id` at `home` if, with no transition running, it is still the current instance
    // of `name` there.
    std::function<void(const std::string& name, std::uint32_t id, const std::string& home)> reopen;
  };

  // `directory` and `io` must outlive this object; `retry` is the first delay before a failed
  // failover is tried again (it doubles, up to 30 s).
  Failover(Directory& directory, asio::io_context& io, std::chrono::milliseconds retry,
           Hooks hooks);
  ~Failover();
  Failover(const Failover&) = delete;
  Failover& operator=(const Failover&) = delete;

  // A replica of `name` at `home` did not answer a caller, or (`missed_writes`) its primary
  // dropped it. Takes it out of the set in the background, if it is really unreachable or in
  // any case when it missed writes, as long as `id` (0: whichever) is the current instance.
  void replica_lost(const std::string& name, const std::string& home, bool missed_writes,
                    std::uint32_t id = 0);
  // A home of `name` answered `moved` to a call for instance `id` without saying where to.
  void home_stale(const std::string& name, std::uint32_t id, const std::string& home);
  // Cancels the pending retries; later reports are ignored.
  void stop();

 private:
  using Key = std::pair<std::string, std::string>;  // component, home
  void run(const std::string& name, const std::string& home, bool missed_writes, std::uint32_t id,
           std::chrono::milliseconds delay);
  // Returns whether the replica left the set or needs to no more.
  bool fail_over(const std::string& name, const std::string& home, bool missed_writes,
                 std::uint32_t id);

  Directory& directory_;
  asio::io_context& io_;
  const std::chrono::milliseconds retry_;
  const Hooks hooks_;
  Mutex mu_;
  bool stopped_ HATCH_GUARDED_BY(mu_) = false;
  std::set<Key> running_ HATCH_GUARDED_BY(mu_);
  std::set<Key> missed_writes_ HATCH_GUARDED_BY(mu_);
  std::set<Key> repairing_ HATCH_GUARDED_BY(mu_);
  std::set<std::shared_ptr<asio::steady_timer>> retries_ HATCH_GUARDED_BY(mu_);
};

}  // namespace hatch::runtime

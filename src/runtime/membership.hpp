// What the origin knows of its nodes beyond their connections: which are members (listed by
// discovery, runtime/discovery.hpp, or joined), which are taken as dead (they answer no
// heartbeat, runtime/node_monitor.hpp), which have left (drained), and which components were
// lost with a dead node. It decides what becomes of a node's components when the
// node dies or leaves; the origin carries it out through the hooks.
//
//   dies    stateless, there only     -> created again on the origin (hooks.create_again)
//           replicated with others    -> the replica leaves the set (hooks.replica_lost)
//           state there only, a shard -> listed in lost(), logged as an error
//   leaves  every component there     -> a transition to without_home(placement, node)
//
// Thread safety: every member may be called from any thread. The heartbeats run on a thread of
// their own, and call the hooks from it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hatch/internal/mutex.hpp"
#include "hatch/origin.hpp"
#include "hatch/transition.hpp"
#include "runtime/control.hpp"
#include "runtime/directory.hpp"
#include "runtime/node_monitor.hpp"

namespace hatch::runtime {

class Membership {
 public:
  struct Hooks {
    // Every node the origin has dialled (members are watched too).
    std::function<std::vector<std::string>()> nodes;
    // See NodeMonitor::Hooks::ping.
    std::function<std::vector<bool>(const std::vector<std::string>& nodes,
                                    NodeMonitor::Clock::time_point deadline)>
        ping;
    // Runs a transition of `name` where the plan says (one at a time with every other
    // transition); none when it says nothing is to move.
    std::function<std::optional<TransitionReport>(const std::string& name,
                                                  const TransitionPlan& plan)>
        transition;
    // Creates stateless `name`, whose only home `dead` died, again on the origin.
    std::function<void(const std::string& name, const std::string& dead)> create_again;
    // The replica of `name` at `home` is gone: it leaves the set.
    std::function<void(const std::string& name, const std::string& home)> replica_lost;
  };

  // `directory` must outlive this object. Heartbeats run every `interval` (0: none); a node
  // that answers none for `timeout` is taken as dead.
  Membership(Directory& directory, std::chrono::milliseconds interval,
             std::chrono::milliseconds timeout, Hooks hooks);
  ~Membership();
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  // Stops the heartbeats; waits for one under way. Idempotent.
  void stop();

  // `node` is leaving: every component with a home there moves away, one transition at a
  // time, and the node is no longer watched.
  DrainReply drain(const std::string& node, const std::string& reason);
  // A transition places something on `homes`: those that had left are members again.
  void placed(const std::vector<std::string>& homes);
  // The nodes discovery lists now, and a node that joined (it is a member again if it had left).
  // Both are watched from now on. joined() returns false, and changes nothing, when
  // kMaxJoined others have joined already.
  static constexpr std::size_t kMaxJoined = 1024;
  void listed(std::vector<std::string> nodes);
  [[nodiscard]] bool joined(const std::string& node);

  // The nodes components may be placed on now: listed or joined, neither dead nor left, sorted.
  std::vector<std::string> members() const;
  // Counts the changes of members(); wait_changed blocks until it passes `seen` (true) or
  // `timeout` passes (false).
  std::uint64_t version() const;
  bool wait_changed(std::uint64_t seen, std::chrono::milliseconds timeout) const;

  bool dead(const std::string& node) const;
  bool left(const std::string& node) const;
  std::vector<Origin::LostComponent> lost() const;

 private:
  void died(const std::string& node, std::chrono::milliseconds silent);
  void back(const std::string& node);
  void bump() HATCH_REQUIRES(mu_);

  Directory& directory_;
  const std::chrono::milliseconds timeout_;
  const Hooks hooks_;
  mutable Mutex mu_;
  mutable std::condition_variable_any changed_;
  std::uint64_t version_ HATCH_GUARDED_BY(mu_) = 0;
  std::set<std::string> listed_ HATCH_GUARDED_BY(mu_);
  std::set<std::string> joined_ HATCH_GUARDED_BY(mu_);
  std::set<std::string> left_ HATCH_GUARDED_BY(mu_);
  std::vector<Origin::LostComponent> lost_ HATCH_GUARDED_BY(mu_);
  std::unique_ptr<NodeMonitor> monitor_;  // last: its thread calls into all of the above
};

}  // namespace hatch::runtime

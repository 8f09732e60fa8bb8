// Telling a dead or cut-off node from a quiet one: the origin asks every node it knows, every
// `interval`, to answer a heartbeat by the next tick. A node that has answered none for
// `timeout` is taken as dead, once, and the origin acts on it (origin.cpp: stateless components
// are created again on the origin, replicated ones drop the replica, and the components whose
// only state was there are reported lost). A dead node that answers again is alive again.
//
// A node is judged from the first tick that knows it, so a node the origin has just dialled
// gets the whole `timeout` to answer. The bound on detection is `timeout` plus one `interval`.
//
// Thread safety: every member may be called from any thread. The hooks run on the monitor's own
// thread, one at a time, never under its lock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "hatch/internal/mutex.hpp"

namespace hatch::runtime {

class NodeMonitor {
 public:
  using Clock = std::chrono::steady_clock;

  struct Hooks {
    // The nodes to watch now.
    std::function<std::vector<std::string>()> nodes;
    // Sends each of `nodes` a heartbeat and returns, per node, whether it answered by
    // `deadline`. Must return by the deadline (give or take a connection attempt).
    std::function<std::vector<bool>(const std::vector<std::string>& nodes,
                                    Clock::time_point deadline)>
        ping;
    // `node` answered nothing for `silent`: it is taken as dead.
    std::function<void(const std::string& node, std::chrono::milliseconds silent)> died;
    // `node`, taken as dead, answered again.
    std::function<void(const std::string& node)> back;
  };

  // Starts watching at once. Requires 0 < interval <= timeout.
  NodeMonitor(std::chrono::milliseconds interval, std::chrono::milliseconds timeout, Hooks hooks);
  // Stops the thread (waits for a tick under way).
  ~NodeMonitor();
  NodeMonitor(const NodeMonitor&) = delete;
  NodeMonitor& operator=(const NodeMonitor&) = delete;

  // Whether `node` is taken as dead now.
  bool dead(const std::string& node) const;

 private:
  struct State {
    Clock::time_point last_answer;  // or when the node was first watched
    bool dead = false;
  };
  void run();
  // Judges one tick's answers; returns the nodes that died, with their silence, and those back.
  void judge(const std::vector<std::string>& nodes, const std::vector<bool>& answered,
             Clock::time_point started,
             std::vector<std::pair<std::string, std::chrono::milliseconds>>& died,
             std::vector<std::string>& back);

  const std::chrono::milliseconds interval_;
  const std::chrono::milliseconds timeout_;
  const Hooks hooks_;
  mutable Mutex mu_;
  std::condition_variable_any wake_;
  bool stopping_ HATCH_GUARDED_BY(mu_) = false;
  std::map<std::string, State> states_ HATCH_GUARDED_BY(mu_);
  std::thread thread_;  // last: starts once everything above is ready
};

}  // namespace hatch::runtime

// How a node stops on a signal. The first SIGTERM or SIGINT drains it: on a thread of its own it
// asks the origin to move every component away (NodeOptions::drain_timeout at most), then stops
// the node. A node without an origin, or without a drain timeout, stops at once, and so does one
// that gets a second signal while it drains.
//
// Thread safety: the signal handlers run on the node's I/O threads; cancel() and join() may be
// called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "hatch/internal/mutex.hpp"
#include "rpc/asio.hpp"
#include "runtime/control.hpp"

namespace hatch::runtime {

class NodeStopper {
 public:
  struct Hooks {
    // Whether the node has an origin to drain through.
    std::function<bool()> has_origin;
    // Asks the origin to drain the node, `reason` for its log; throws what the call throws.
    std::function<DrainReply(const std::string& reason)> drain;
    // Stops the node.
    std::function<void()> stop;
  };

  // Listens for SIGTERM and SIGINT on `io` from now on. `address` names the node in the log.
  NodeStopper(asio::io_context& io, std::string address, std::chrono::milliseconds drain_timeout,
              Hooks hooks);
  ~NodeStopper();  // join()
  NodeStopper(const NodeStopper&) = delete;
  NodeStopper& operator=(const NodeStopper&) = delete;

  // Stops listening for signals.
  void cancel();
  // Waits for a drain under way to end (its call fails once the node's connections close).
  void join();

 private:
  void on_signal(int signal);
  void drain(int signal);

  const std::string address_;
  const std::chrono::milliseconds drain_timeout_;
  const Hooks hooks_;
  asio::signal_set signals_;
  Mutex mu_;
  std::thread drainer_ HATCH_GUARDED_BY(mu_);  // runs drain(), from the first signal on
};

}  // namespace hatch::runtime

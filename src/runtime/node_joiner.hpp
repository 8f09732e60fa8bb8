// A node's way into a running cluster (NodeOptions::join). It asks the origin's door
// (Options::listen) to dial the node back at its address, and the origin answers once it has:
// the node is then a member, and the origin its origin. A join that fails is tried again after a
// pause that grows to kMaxPause; and whenever the node has been without an origin for the rejoin
// interval (the origin restarted, or resigned), it joins again.
//
// Each failure is logged with its reason the first time it happens in a row of failures, then
// once per kMaxPause; a success after failures says how many there were.
//
// Thread safety: runs on a thread of its own; the destructor stops it (a join under way ends
// by its deadline).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "hatch/internal/mutex.hpp"
#include "rpc/endpoint.hpp"

namespace hatch::runtime {

class NodeJoiner {
 public:
  static constexpr std::chrono::milliseconds kFirstPause{200};
  static constexpr std::chrono::milliseconds kMaxPause{10000};

  struct Settings {
    std::string door;                         // the origin's join address
    std::string self;                         // where the origin dials this node
    std::chrono::milliseconds timeout{5000};  // of one join, the origin's dial-back included
    std::chrono::milliseconds rejoin{5000};
  };

  // `secret` must outlive the joiner; `has_origin` tells whether an origin is connected now.
  NodeJoiner(std::shared_ptr<rpc::Network> network, asio::io_context& io,
             const rpc::ClusterSecret& secret, rpc::ConnectionOptions options, Settings settings,
             std::function<bool()> has_origin);
  ~NodeJoiner();
  NodeJoiner(const NodeJoiner&) = delete;
  NodeJoiner& operator=(const NodeJoiner&) = delete;

 private:
  void run();
  // One join; returns "" when the origin took it, else why not.
  std::string join_once();
  // Waits `pause` unless stopped first; returns false once stopped.
  bool wait(std::chrono::milliseconds pause);

  const Settings settings_;
  const std::function<bool()> has_origin_;
  const std::shared_ptr<rpc::Peer> door_;
  Mutex mu_;
  std::condition_variable_any wake_;
  bool stopping_ HATCH_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once everything above is ready
};

}  // namespace hatch::runtime

// The origin's door for nodes that join a running cluster (Options::listen). It admits
// connections as a node does (the cluster secret, TLS when set, the same bounds on handshakes)
// and serves one control operation, `join`: the origin dials the node back at the address it
// gives, and answers once a heartbeat there has succeeded, so that a node told a wrong address
// to advertise hears why at once. Every other request is refused, and at most kMaxJoining joins
// run at once (each holds an I/O thread while the origin dials back); one more is told to try
// again later.
//
// Thread safety: every member may be called from any thread. The door must be closed before
// the I/O threads of `io` stop.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "hatch/internal/mutex.hpp"
#include "rpc/listener.hpp"
#include "runtime/host.hpp"

namespace hatch::runtime {

class JoinDoor {
 public:
  static constexpr int kMaxJoining = 8;

  // Makes `address` a member once the origin has reached it there; returns "" then, or why it
  // could not. Runs on an I/O thread.
  using Join = std::function<std::string(const std::string& address, const std::string& from)>;

  // Listens at `listen` (throws UsageError when it cannot). `secret` must outlive the door.
  JoinDoor(rpc::Network& network, asio::io_context& io, const std::string& listen,
           const rpc::ClusterSecret& secret, rpc::ConnectionOptions options, Join join);
  ~JoinDoor();
  JoinDoor(const JoinDoor&) = delete;
  JoinDoor& operator=(const JoinDoor&) = delete;

  // The address it listens on, with its port.
  std::string address() const;
  // Stops accepting and closes every connection. Idempotent.
  void close();

 private:
  void admit(const std::shared_ptr<rpc::Connection>& connection, const rpc::PeerIdentity& peer,
             const std::string& from);
  Reply serve(const rpc::Connection& connection, std::uint32_t method, internal::Payload& request);

  const Join join_;
  const internal::WireLimits limits_;
  Host host_;
  std::atomic<int> joining_{0};
  Mutex mu_;
  bool closed_ HATCH_GUARDED_BY(mu_) = false;
  std::set<std::shared_ptr<rpc::Connection>> connections_ HATCH_GUARDED_BY(mu_);
  rpc::Listener listener_;  // last: it admits into everything above
};

}  // namespace hatch::runtime

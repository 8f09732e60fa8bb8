// A node's front door: accepts streams on a Network address, lets in the peers that prove the
// cluster secret within the handshake timeout, and hands each one over as a Connection (not
// started yet). Refused peers are logged and closed; they never reach the node.
//
// Thread safety: every member may be called from any thread. The listener must outlive the
// I/O threads of `io` (stop them before destroying it).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "rpc/cluster_secret.hpp"
#include "rpc/connection.hpp"
#include "rpc/stream.hpp"

namespace hatch::rpc {

class Listener {
 public:
  using Admit = std::function<void(std::shared_ptr<Connection> connection, const PeerIdentity& peer,
                                   const std::string& from)>;

  // Listens at `address` over `network` (throws UsageError when it cannot). `secret` must
  // outlive the listener.
  Listener(Network& network, asio::io_context& io, const std::string& address,
           const ClusterSecret& secret, std::chrono::milliseconds handshake_timeout,
           ConnectionOptions options, Admit admit);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // The address it listens on, with the port it was given.
  std::string address() const;
  // Begins accepting. `label` begins its log lines ("node 127.0.0.1:7001").
  void start(std::string label);
  // Stops accepting. Idempotent.
  void close();

 private:
  void accept_next();
  asio::awaitable<void> admit(std::unique_ptr<Stream> stream, std::string from);

  asio::io_context& io_;
  const std::unique_ptr<Acceptor> acceptor_;
  const ClusterSecret& secret_;
  const std::chrono::milliseconds handshake_timeout_;
  const ConnectionOptions options_;
  const Admit admit_;
  std::string label_;
};

}  // namespace hatch::rpc

// A node's front door: accepts streams on a Network address, lets in the peers that prove the
// cluster secret within the handshake timeout, and hands each one over as a Connection (not
// started yet). Over TLS, the TLS handshake comes first, under the same timeout and caps.
// Refused peers are logged and closed; they never reach the node.
//
// What unauthenticated peers can take is bounded: connections still in their handshake are
// capped in total and per source address. One over the address's cap is closed at once. One over
// the total cap takes the place of the one that has waited longest, which is closed: silent
// peers from many addresses cannot keep out a peer that proves the secret in a few round trips,
// unless they open a whole cap's worth of connections within those round trips. A failing
// accept (no descriptors left: EMFILE) backs off instead of retrying at once, and the log lines
// of both are rate-limited, each saying how many it stands for.
//
// Thread safety: every member may be called from any thread. The listener must outlive the
// I/O threads of `io` (stop them before destroying it).
#pragma once

#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "rpc/cluster_secret.hpp"
#include "rpc/connection.hpp"
#include "rpc/log_limiter.hpp"
#include "rpc/stream.hpp"

namespace hatch::rpc {

struct ListenerLimits {
  std::chrono::milliseconds handshake_timeout{5000};
  // Connections still proving the secret, in all and from one address. Default 256 and 16.
  std::size_t max_handshakes = 256;
  std::size_t max_handshakes_per_source = 16;
};

class Listener {
 public:
  using Admit = std::function<void(std::shared_ptr<Connection> connection, const PeerIdentity& peer,
                                   const std::string& from)>;

  // Listens at `address` over `network` (throws UsageError when it cannot). `secret` must
  // outlive the listener.
  Listener(Network& network, asio::io_context& io, const std::string& address,
           const ClusterSecret& secret, ListenerLimits limits, ConnectionOptions options,
           Admit admit);
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
  void on_accept(const boost::system::error_code& ec, std::unique_ptr<Stream> stream,
                 const std::string& from);
  // A connection in its handshake: what closes it early (its timer, or a newer connection
  // that takes its place), and where it came from.
  struct Handshake {
    std::mutex mu;
    Stream* stream;  // guarded by mu; null once the handshake has ended
    std::string from;
    std::string source;
    // Guarded by the listener's mu_: whether a newer one took its place, and where it is in
    // the listener's list while it lasts.
    bool evicted = false;
    std::list<std::shared_ptr<Handshake>>::iterator at;
    // Closes the stream unless the handshake has ended.
    void close();
  };
  using Handshakes = std::list<std::shared_ptr<Handshake>>;

  // Counts a handshake in, newest last, or returns why it cannot start.
  std::string enter(const std::shared_ptr<Handshake>& handshake);
  void leave(const Handshake& handshake);
  asio::awaitable<void> admit(std::unique_ptr<Stream> stream, std::shared_ptr<Handshake> handshake);

  asio::io_context& io_;
  const std::unique_ptr<Acceptor> acceptor_;
  const ClusterSecret& secret_;
  const ListenerLimits limits_;
  const ConnectionOptions options_;
  const Admit admit_;
  std::string label_;

  std::mutex mu_;
  Handshakes handshakes_;                         // guarded by mu_, oldest first
  std::size_t evicted_ = 0;                       // of handshakes_; guarded by mu_
  std::map<std::string, std::size_t> by_source_;  // guarded by mu_
  // Accept failures in a row, and the wait before the next try. Touched by the accept chain.
  asio::steady_timer backoff_;
  std::chrono::milliseconds delay_{0};
  LogLimiter accept_log_;
  LogLimiter refuse_log_;
};

}  // namespace hatch::rpc

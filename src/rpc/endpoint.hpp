// Where calls to a host go: a connection that is there now, or can be made.
//
// Peer is an outgoing endpoint that connects (and authenticates) on first use and again after
// the connection is lost, on the next call. InboundEndpoint follows a connection the peer opened
// to us, which only the peer can re-establish: a node reaches its origin this way.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "core/host_address.hpp"
#include "hatch/error.hpp"
#include "rpc/cluster_secret.hpp"
#include "rpc/connection.hpp"
#include "rpc/stream.hpp"

namespace hatch::rpc {

class Endpoint {
 public:
  virtual ~Endpoint() = default;
  // A live connection. Throws ConnectFailure.
  virtual std::shared_ptr<Connection> connection(Clock::time_point deadline) = 0;
  virtual const std::string& address() const noexcept = 0;
};

// Connects to `address` over `network`, runs the client handshake as `self` and starts the
// connection. Blocks until done or `deadline`. Throws ConnectFailure.
std::shared_ptr<Connection> connect(Network& network, asio::io_context& io,
                                    const std::string& address, const ClusterSecret& secret,
                                    const PeerIdentity& self, const ConnectionOptions& options,
                                    Connection::RequestHandler on_request,
                                    Clock::time_point deadline);

class Peer final : public Endpoint {
 public:
  Peer(std::shared_ptr<Network> network, asio::io_context& io, std::string address,
       const ClusterSecret& secret, PeerIdentity self, ConnectionOptions options,
       Connection::RequestHandler on_request);
  ~Peer() override;

  std::shared_ptr<Connection> connection(Clock::time_point deadline) override;
  const std::string& address() const noexcept override { return address_; }
  // The open connection there is now, without connecting; null when there is none, or while
  // another thread is connecting.
  std::shared_ptr<Connection> current();
  // Closes the current connection, if any.
  void close(const std::string& reason);

 private:
  const std::shared_ptr<Network> network_;
  asio::io_context& io_;
  const std::string address_;
  const ClusterSecret& secret_;
  const PeerIdentity self_;
  const ConnectionOptions options_;
  const Connection::RequestHandler on_request_;
  std::mutex mu_;  // held while connecting, so concurrent callers share one attempt
  std::shared_ptr<Connection> connection_;  // guarded by mu_
};

// An endpoint whose connection the peer opened to us, e.g. the origin as a node sees it. Only
// the peer can re-establish it; `current` returns its live connection, or null.
class InboundEndpoint final : public Endpoint {
 public:
  InboundEndpoint(std::function<std::shared_ptr<Connection>()> current, std::string address)
      : current_(std::move(current)), address_(std::move(address)) {}
  std::shared_ptr<Connection> connection(Clock::time_point deadline) override;
  const std::string& address() const noexcept override { return address_; }

 private:
  const std::function<std::shared_ptr<Connection>()> current_;
  const std::string address_;
};

}  // namespace hatch::rpc

#include "rpc/endpoint.hpp"

#include <charconv>
#include <future>

#include <spdlog/spdlog.h>

#include "rpc/handshake.hpp"
#include "rpc/io_pool.hpp"

namespace hatch::rpc {

std::shared_ptr<Connection> connect(Network& network, asio::io_context& io,
                                    const std::string& address, const ClusterSecret& secret,
                                    const PeerIdentity& self, const ConnectionOptions& options,
                                    Connection::RequestHandler on_request,
                                    Clock::time_point deadline) {
  if (io.stopped()) throw ConnectFailure(StatusCode::unavailable, "the runtime is stopped");
  // The handshake shares the stream, and holds its own copy of the secret, so that a connect
  // whose context stops running (a pool shutting down) gives up at its deadline: its handshake
  // then ends whenever the context runs again or is destroyed, and touches nothing of the caller's.
  auto stream = std::make_shared<std::unique_ptr<Stream>>(network.connect(io, address, deadline));
  auto handshake = [stream, secret, self]() -> asio::awaitable<void> {
    co_await handshake_as_client(**stream, secret, self);
  };
  std::future<void> done = asio::co_spawn(io, handshake, asio::use_future);
  IoPool::step_aside();  // the pool's leader, if this is it, runs the handshake
  if (done.wait_until(deadline) != std::future_status::ready) {
    (*stream)->close();
    throw ConnectFailure(StatusCode::unavailable, "could not connect before the deadline");
  }
  try {
    done.get();
  } catch (const HandshakeError& e) {
    throw ConnectFailure(StatusCode::unauthenticated,
                         std::string("authentication failed: ") + e.what());
  } catch (const boost::system::system_error& e) {
    throw ConnectFailure(StatusCode::unavailable, std::string("cannot connect: ") + e.what());
  }
  // The handshake told us nothing about the server's name but its address; it is a node.
  auto connection = std::make_shared<Connection>(std::move(*stream), address,
                                                 PeerIdentity{"node", address}, options);
  connection->start(std::move(on_request), [address](const std::string& reason) {
    spdlog::info("connection to {} ended: {}", address, reason);
  });
  return connection;
}

Peer::Peer(std::shared_ptr<Network> network, asio::io_context& io, std::string address,
           const ClusterSecret& secret, PeerIdentity self, ConnectionOptions options,
           Connection::RequestHandler on_request)
    : network_(std::move(network)),
      io_(io),
      address_(std::move(address)),
      secret_(secret),
      self_(std::move(self)),
      options_(options),
      on_request_(std::move(on_request)) {}

Peer::~Peer() {
  close("shutting down");
}

std::shared_ptr<Connection> Peer::connection(Clock::time_point deadline) {
  std::lock_guard lock(mu_);
  if (connection_ && connection_->is_open()) return connection_;
  connection_ = connect(*network_, io_, address_, secret_, self_, options_, on_request_, deadline);
  return connection_;
}

std::shared_ptr<Connection> Peer::current() {
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock || !connection_ || !connection_->is_open()) return nullptr;
  return connection_;
}

void Peer::close(const std::string& reason) {
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard lock(mu_);
    connection.swap(connection_);
  }
  if (connection) connection->close(reason);
}

std::shared_ptr<Connection> InboundEndpoint::connection(Clock::time_point) {
  std::shared_ptr<Connection> connection = current_();
  if (!connection || !connection->is_open()) {
    throw ConnectFailure(StatusCode::unavailable,
                         "no open connection, and only the peer can open one");
  }
  return connection;
}

}  // namespace hatch::rpc

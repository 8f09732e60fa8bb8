// The transport seam: the byte stream a Connection runs over, and the network that makes them.
//
// A Stream is one connected, reliable, ordered byte stream between two processes: TCP
// (tcp_network.hpp) in production, an in-memory pair with fault injection
// (memory_network.hpp) in tests. Everything above it (handshake, framing, multiplexing) is
// the same over both. A Network dials and listens by address ("host:port"); Origin and Node
// take one through their options, so that a test can run an origin and its nodes in one
// process over a network it controls.
//
// Thread safety: a Stream allows one read at a time, and writes and close() from any thread.
// Network and Acceptor members may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>

#include "hatch/error.hpp"
#include "rpc/asio.hpp"

namespace hatch::rpc {

// A connection could not be had. code() is unavailable or unauthenticated.
class ConnectFailure : public std::runtime_error {
 public:
  ConnectFailure(StatusCode code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  StatusCode code() const noexcept { return code_; }

 private:
  StatusCode code_;
};

class Stream {
 public:
  using ReadHandler = std::function<void(const boost::system::error_code&, std::size_t)>;

  virtual ~Stream() = default;

  // Where completions run.
  virtual asio::any_io_executor executor() = 0;
  // Reads at least one byte into `into`; `done` runs on the executor with the count, or with
  // an error (eof when the peer closed, operation_aborted after close()).
  virtual void async_read_some(asio::mutable_buffer into, ReadHandler done) = 0;
  // Reads exactly `into`'s size, blocking the caller. Sets `ec` on failure.
  virtual void read(asio::mutable_buffer into, boost::system::error_code& ec) = 0;
  // Writes every byte of `buffers`, in order, blocking the caller while the peer's window is
  // full. Sets `ec` on failure.
  virtual void write(std::span<const asio::const_buffer> buffers,
                     boost::system::error_code& ec) = 0;
  // Ends both directions: pending and later reads fail, later writes fail. Idempotent.
  virtual void close() = 0;
};

class Acceptor {
 public:
  using AcceptHandler = std::function<void(
      const boost::system::error_code&, std::unique_ptr<Stream> stream, const std::string& from)>;

  virtual ~Acceptor() = default;
  // Accepts one stream; `done` runs on the acceptor's executor with it and the peer's address.
  virtual void async_accept(AcceptHandler done) = 0;
  // The address it listens on, "host:port" with the port it was given.
  virtual std::string address() const = 0;
  // Stops accepting; a pending accept fails with operation_aborted. Idempotent.
  virtual void close() = 0;
};

class Network {
 public:
  virtual ~Network() = default;
  // A stream to `address`, whose completions run on `io`. Blocks until connected or
  // `deadline`. Throws ConnectFailure with code unavailable.
  virtual std::unique_ptr<Stream> connect(asio::io_context& io, const std::string& address,
                                          std::chrono::steady_clock::time_point deadline) = 0;
  // Listens at `address` ("host:port"; port 0 picks a free port). Throws UsageError naming the
  // address when it cannot.
  virtual std::unique_ptr<Acceptor> listen(asio::io_context& io, const std::string& address) = 0;
};

// The network of real hosts: TCP.
std::shared_ptr<Network> tcp_network();

}  // namespace hatch::rpc

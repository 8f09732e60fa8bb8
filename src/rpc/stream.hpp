// The transport seam: the byte stream a Connection runs over, and the network that makes them.
//
// A Stream is one connected, reliable, ordered byte stream between two processes: TCP
// (tcp_network.cpp) or TLS over it (tls_network.hpp) in production, an in-memory pair with fault
// injection (memory_network.hpp) in tests. Everything above it (handshake, framing, multiplexing)
// is the same over both. A Network dials and listens by address ("host:port"); Origin and Node take
// one through their options, so that a test can run an origin and its nodes in one process over a
// network it controls.
//
// No operation blocks the calling thread: a peer that stops reading or sending costs a stream,
// never a thread.
//
// Thread safety: a Stream allows one read and one write at a time (a write_now() is a write),
// and close() from any thread.
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

// A connection could not be had. code() is unavailable or unauthenticated. The message says why
// but not where: whoever catches it names the address, as RemoteError does ("control operation
// instantiate on 127.0.0.1:1: unavailable: cannot connect: Connection refused").
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
  // Runs on the executor with the bytes transferred, or with an error (eof when the peer
  // closed, operation_aborted after close()).
  using Handler = std::function<void(const boost::system::error_code&, std::size_t)>;

  virtual ~Stream() = default;

  // Where completions run.
  virtual asio::any_io_executor executor() = 0;
  // Runs the transport's own handshake, as the side the stream was made for (the side that
  // dialled is the client): TLS's (tls_network.hpp), in which each side verifies the other's
  // certificate. The secret's handshake (handshake.hpp) begins with it, before anything else is
  // read or written. A transport that has none completes at once, as this default does.
  virtual void async_handshake(Handler done) {
    asio::post(executor(), [done = std::move(done)] { done({}, 0); });
  }
  // Reads at least one byte into `into`.
  virtual void async_read_some(asio::mutable_buffer into, Handler done) = 0;
  // Reads exactly `into`'s size.
  virtual void async_read(asio::mutable_buffer into, Handler done) = 0;
  // Writes, from the start of `buffers`, what the stream takes at once, and returns how many
  // bytes that was: 0 when the peer's window is full. Never waits. Sets `ec` on failure.
  virtual std::size_t write_now(std::span<const asio::const_buffer> buffers,
                                boost::system::error_code& ec) = 0;
  // Writes every byte of `buffers`, in order. `buffers` and the bytes they point to must stay
  // valid until `done` runs.
  virtual void async_write(std::span<const asio::const_buffer> buffers, Handler done) = 0;
  // Ends both directions: pending and later reads fail, later writes fail. Idempotent.
  virtual void close() = 0;

  // Whether any thread may read what has arrived, without the executor (read_now and
  // async_wait_readable work): a plain socket may, TLS and in-memory streams may not. It lets a
  // caller that waits for its response read it itself (Connection::finish).
  virtual bool reads_directly() const { return false; }
  // Reads what has arrived without waiting; `ec` is would_block when nothing has, eof when the
  // peer closed. Only where reads_directly().
  virtual std::size_t read_now(asio::mutable_buffer, boost::system::error_code& ec) {
    ec = asio::error::operation_not_supported;
    return 0;
  }
  // Runs `done` (with 0 bytes) once something can be read, or with an error. Only where
  // reads_directly().
  virtual void async_wait_readable(Handler done) {
    asio::post(executor(),
               [done = std::move(done)] { done(asio::error::operation_not_supported, 0); });
  }
  // While held, a pending async_wait_readable wakes no thread: the caller that holds it reads
  // what arrives itself (read_now). resume_waits() ends the hold; a wait then ends at once if
  // something arrived meanwhile. Only where reads_directly(); a no-op elsewhere.
  virtual void hold_waits() {}
  virtual void resume_waits() {}
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

// One authenticated TCP connection between two Hatch processes, multiplexed both ways.
//
// Either side may send requests; responses are matched to requests by call id, so many calls
// are in flight at once over the one connection of a peer pair. A caller blocks in call() until
// its response arrives, its deadline passes, or the connection breaks; the I/O underneath is
// asynchronous and runs on the IoPool.
//
// Thread safety: every public member may be called from any thread.
// Invariants:
//   - at most one read is outstanding; the read loop starts the next read before it hands
//     requests to the handler, so a handler that blocks never stalls the connection;
//   - writes are batched: the first sender to find the outbox idle writes everything queued,
//     and a sender that finds the outbox over max_outbox_bytes waits (backpressure);
//   - once closed, a connection stays closed and every pending call fails with connection_lost.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "hatch/internal/wire_buffer.hpp"
#include "hatch/internal/wire_limits.hpp"
#include "rpc/asio.hpp"
#include "rpc/frame.hpp"

namespace hatch::rpc {

using Clock = std::chrono::steady_clock;

struct ConnectionOptions {
  internal::WireLimits limits;
  // Bytes queued for writing beyond which senders wait. Bounds memory under a slow peer.
  std::size_t max_outbox_bytes = 64u << 20;
  // How long a caller spins for its response before it sleeps. Spinning saves a wake-up
  // (several microseconds) on fast round trips; only one caller per connection spins at a time.
  std::chrono::microseconds spin{30};
};

// What the peer said it is in the handshake.
struct PeerIdentity {
  std::string role;  // "origin" or "node"
  std::string name;  // how it names itself: "origin" or its listen address
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  struct Response {
    FrameHeader header;
    internal::Payload payload;
    std::string local_error;  // why the call failed locally (closed, deadline), else empty
  };
  using RequestHandler =
      std::function<void(const std::shared_ptr<Connection>&, const FrameHeader&, internal::Payload)>;
  using CloseHandler = std::function<void(const std::string& reason)>;

  // `socket` has completed the handshake; `address` names the peer in messages.
  Connection(tcp::socket socket, std::string address, PeerIdentity peer, ConnectionOptions options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts reading. `on_request` runs on a pool thread for every request frame and must answer
  // it with send(); `on_close` runs once, when the connection ends.
  void start(RequestHandler on_request, CloseHandler on_close);

  // Sends a request (header.kind, call_id and budget are filled in) and blocks until the
  // response, the deadline or the end of the connection. Never throws: a local failure is a
  // response with status deadline_exceeded or connection_lost and a local_error.
  Response call(FrameHeader header, std::string body, Clock::time_point deadline);

  // Queues a frame (a response). Returns false when the connection is closed.
  bool send(const FrameHeader& header, std::string body);

  // Ends the connection; pending calls fail with `reason`. Idempotent.
  void close(const std::string& reason);

  bool is_open() const;
  const std::string& address() const noexcept { return address_; }
  const PeerIdentity& peer() const noexcept { return peer_; }
  const ConnectionOptions& options() const noexcept { return options_; }

 private:
  struct Slot;
  struct OutFrame {
    std::string head;
    std::string body;
  };

  void read_more();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void process(const std::shared_ptr<const void>& storage, std::span<const char> frame);
  bool enqueue(std::string head, std::string body);
  void complete(std::uint64_t call_id, Response response);
  Response await(const std::shared_ptr<Slot>& slot, std::uint64_t call_id, Clock::time_point deadline);

  tcp::socket socket_;
  const std::string address_;
  const PeerIdentity peer_;
  const ConnectionOptions options_;
  RequestHandler on_request_;
  CloseHandler on_close_;

  // Read state: touched only by the one outstanding read and its completion.
  std::shared_ptr<char[]> rbuf_;
  std::size_t rcap_ = 0;
  std::size_t rfill_ = 0;

  std::atomic<std::uint64_t> next_call_id_{1};
  std::atomic<int> spinners_{0};
  std::mutex pending_mu_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Slot>> pending_;  // guarded by pending_mu_

  mutable std::mutex out_mu_;
  std::condition_variable out_space_;
  std::vector<OutFrame> outbox_;  // guarded by out_mu_
  std::size_t out_bytes_ = 0;     // guarded by out_mu_
  bool writing_ = false;          // guarded by out_mu_
  bool open_ = true;              // guarded by out_mu_
  std::string close_reason_;      // guarded by out_mu_
};

}  // namespace hatch::rpc

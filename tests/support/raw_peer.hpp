// An authenticated peer of a node that speaks raw bytes: it proves the cluster secret as a
// real peer does, then sends what a test tells it to, whole frames or not, and reads nothing
// unless asked. It plays the hostile or broken peer of the hardening tests.
#pragma once

#include <memory>
#include <string>

#include "rpc/frame.hpp"
#include "rpc/io_pool.hpp"
#include "rpc/stream.hpp"

namespace hatch::test {

class RawPeer {
 public:
  // Connects to `address` and completes the handshake with `secret`. Throws on failure.
  RawPeer(const std::string& secret, const std::string& address);
  ~RawPeer();

  // Starts writing `bytes` and returns at once; the write goes on while the node reads.
  void send(std::string bytes);
  // Whether every byte given to send() has been written, waiting a minute at most.
  bool sent_all();
  // Reads (and drops) until the node closes the stream. Returns false if it is still open
  // after a minute, which only a node that never closes it takes.
  bool wait_closed();

  // A request frame for `component`, `method` with empty arguments.
  static std::string request(std::uint32_t component, std::uint32_t method, std::uint64_t call_id);
  // The length prefix and header of a frame announcing `total` bytes of which only the header
  // and `sent` junk bytes follow.
  static std::string half_frame(std::uint32_t total, std::size_t sent);

 private:
  struct State;
  rpc::IoPool io_;
  std::unique_ptr<rpc::Stream> stream_;
  std::shared_ptr<State> state_;
};

}  // namespace hatch::test

// Cap'n Proto RPC as a peer of Hatch's remote call (BM_RemoteCallPairs): a unary echo served by
// capnp::EzRpcServer in a process of its own, and called through capnp::EzRpcClient, waiting
// on the calling thread's kj event loop.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace hatch::bench {

// A connection to the peer at 127.0.0.1:`port`. Its event loop belongs to the thread that makes
// it, which alone may use it.
class CapnpEchoClient {
 public:
  explicit CapnpEchoClient(std::uint16_t port);  // connects, and makes one call
  ~CapnpEchoClient();
  CapnpEchoClient(const CapnpEchoClient&) = delete;
  CapnpEchoClient& operator=(const CapnpEchoClient&) = delete;

  // One call: sends `payload` and waits for the bytes back. Throws when they differ in size or
  // the call fails.
  void echo(const std::string& payload);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The server, in the peer's process: listens on a free loopback port, reports it and serves
// until killed.
[[noreturn]] void serve_capnp_echo();

}  // namespace hatch::bench

// gRPC as a peer of Hatch's remote call (BM_RemoteCallPairs): a unary echo served by a
// synchronous grpc::Server in a process of its own, over an insecure channel, and called
// through a synchronous stub.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace hatch::bench {

// A channel to the peer at 127.0.0.1:`port`.
class GrpcEchoClient {
 public:
  explicit GrpcEchoClient(std::uint16_t port);  // connects, and makes one call
  ~GrpcEchoClient();
  GrpcEchoClient(const GrpcEchoClient&) = delete;
  GrpcEchoClient& operator=(const GrpcEchoClient&) = delete;

  // One call: sends `payload` and waits for the bytes back. Throws when they differ in size or
  // the call fails.
  void echo(const std::string& payload);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The server, in the peer's process: listens on a free loopback port, reports it and serves
// until killed.
[[noreturn]] void serve_grpc_echo();

}  // namespace hatch::bench

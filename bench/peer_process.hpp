// The server of another RPC library, in a process of its own as Hatch's node is: this binary
// started again with --hatch-bench-peer NAME, serving on a free loopback port that it prints.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace hatch::bench {

class PeerProcess {
 public:
  // Starts the peer named `name` ("capnp" or "grpc") and waits until it reports its port.
  // Throws std::runtime_error when it exits first or reports nothing within 30 s.
  explicit PeerProcess(const std::string& name);
  ~PeerProcess();  // kills and reaps the process
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;

  std::uint16_t port() const noexcept { return port_; }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// For main(), before anything else: when argv asks for a peer, serves it until the process is
// killed, and returns an exit status if it cannot; returns -1 when argv asks for none.
int run_peer_if_asked(int argc, char** argv);

// Called by a peer's server once it listens: prints `port` on standard output.
void report_port(unsigned port);

}  // namespace hatch::bench

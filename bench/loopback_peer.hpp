// The plain-TCP peers that benchmarks measure Hatch against: a process of its own, like a node,
// speaking raw blocking sockets on loopback.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>

namespace hatch::bench {

class LoopbackPeer {
 public:
  // Forks a process that accepts connections on a free loopback port and runs `serve` on each
  // connected socket, one at a time. Throws std::runtime_error when it cannot listen.
  explicit LoopbackPeer(std::function<void(int fd)> serve);
  ~LoopbackPeer();  // kills and reaps the process
  LoopbackPeer(const LoopbackPeer&) = delete;
  LoopbackPeer& operator=(const LoopbackPeer&) = delete;

  std::uint16_t port() const noexcept { return port_; }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// A blocking TCP connection to 127.0.0.1:`port` with Nagle off, or -1.
int connect_loopback(std::uint16_t port);

}  // namespace hatch::bench

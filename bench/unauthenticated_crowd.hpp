// The flood of scripts/flood_bench against a node: many TCP connections that never prove the
// cluster secret, opened from many loopback source addresses so that the node's cap on all the
// connections still authenticating is reached, not just its cap per address.
//
//   UnauthenticatedCrowd crowd({"127.0.0.1:7001", 1000, 100, 2000});
//   crowd.run(Clock::now() + std::chrono::seconds(30), STDIN_FILENO, on_ready);
//
// Connection i comes from 127.0.0.(2 + i % sources) (127.0.x.y past 255) and behaves by i % 3:
// it sends nothing; or the first bytes of a hello frame and then nothing (a partial hello, which
// the node waits for until its handshake timeout); or a frame of junk (garbage, which the node
// refuses at once). A connection the server closes, or that cannot be made, is opened again, at
// most `reconnects_per_s` times a second in all: the crowd keeps its pressure on, and the node
// sees a steady churn of refused connections while its cap is full.
//
// Thread safety: none; one thread runs it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace hatch::bench {

struct CrowdOptions {
  std::string target;              // the node, "a.b.c.d:port"
  std::size_t connections = 1000;  // held at once, at most 100,000
  std::size_t sources = 100;       // source addresses, from 127.0.0.2; at most 60,000
  double reconnects_per_s = 2000;  // bound on opening again (the first opening is one burst)
};

struct CrowdCounts {
  std::uint64_t connects = 0;          // connections established
  std::uint64_t failed_connects = 0;   // connections that could not be made
  std::uint64_t closed_by_server = 0;  // established, then closed by the other side
  std::size_t open = 0;                // established and open now
  std::size_t peak_open = 0;
};

class UnauthenticatedCrowd {
 public:
  // Throws std::invalid_argument for options out of range or a target that is not IPv4.
  explicit UnauthenticatedCrowd(CrowdOptions options);
  // Closes every connection.
  ~UnauthenticatedCrowd();
  UnauthenticatedCrowd(const UnauthenticatedCrowd&) = delete;
  UnauthenticatedCrowd& operator=(const UnauthenticatedCrowd&) = delete;

  // Opens the connections and keeps them up until `until`, or until `stop_fd` (say standard
  // input) becomes readable or reaches its end, whichever comes first. Calls `on_ready` once,
  // when every connection has been tried once (or after two seconds). Throws std::runtime_error
  // when it cannot make a socket (raise RLIMIT_NOFILE above `connections`).
  void run(std::chrono::steady_clock::time_point until, int stop_fd,
           const std::function<void(const CrowdCounts&)>& on_ready);

  const CrowdCounts& counts() const noexcept { return counts_; }

 private:
  enum class State { closed, connecting, open };
  struct Slot {
    int fd = -1;
    State state = State::closed;
  };

  void open(std::uint32_t slot);
  void on_event(std::uint32_t slot, std::uint32_t events);
  void close(std::uint32_t slot);

  const CrowdOptions options_;
  std::uint32_t target_ip_ = 0;  // network order
  std::uint16_t target_port_ = 0;
  int epoll_ = -1;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> to_open_;  // slots waiting to be opened again
  std::string partial_hello_;
  std::string garbage_;
  CrowdCounts counts_;
};

}  // namespace hatch::bench

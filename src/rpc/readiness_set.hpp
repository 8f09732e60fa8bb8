// Waits for sockets to become readable through an epoll set of its own, one per I/O context,
// instead of through Asio's reactor.
//
// Asio's reactor keeps every socket it knows in its epoll set for as long as the socket lives,
// edge-triggered for input: each arrival wakes the thread blocked in epoll_wait, whether or not
// anything waits for that socket. A caller that reads its own response (Connection::finish) so
// cost the I/O leader a wake-up per response, more than a loopback round trip on these VMs. In
// this set a socket is armed only while a wait for it is pending and not held (EPOLLONESHOT,
// level-triggered: arming it when it is readable already reports it at once); Asio's reactor
// watches only the set's own descriptor, which is readable while an armed socket is.
//
//   ReadinessSet& set = asio::use_service<ReadinessSet>(io);
//   set.add(fd);
//   set.wait_readable(fd, [](const boost::system::error_code& ec) { ... });  // once
//   set.hold(fd);     // a caller reads it itself: the pending wait is not armed meanwhile
//   set.resume(fd);   // armed again; reported at once if something arrived meanwhile
//   set.remove(fd);   // before the socket closes
//
// Thread safety: every member may be called from any thread. A wait's handler runs on a thread
// that runs the context, outside the set's lock.
#pragma once

#include <cstddef>
#include <functional>
#include <unordered_map>

#include "hatch/internal/mutex.hpp"
#include "rpc/asio.hpp"

namespace hatch::rpc {

class ReadinessSet final : public asio::execution_context::service {
 public:
  using Done = std::function<void(const boost::system::error_code&)>;

  static asio::execution_context::id id;

  // Made by asio::use_service. Throws boost::system::system_error when no epoll set can be made.
  explicit ReadinessSet(asio::io_context& io);
  ~ReadinessSet() override;

  // Adds `fd`, with no wait. Throws boost::system::system_error when epoll refuses it.
  void add(int fd);
  // Runs `done` once `fd` is readable, hung up or failed; one wait per descriptor at a time.
  // `done` gets an error only when the wait could not be armed, or `fd` was removed.
  void wait_readable(int fd, Done done);
  // While held, a pending wait of `fd` stays pending but is not armed. Not nested.
  void hold(int fd);
  void resume(int fd);
  // Removes `fd`: a pending wait runs with operation_aborted. Call it before `fd` closes.
  void remove(int fd);

 private:
  struct Watch {
    Done done;           // the pending wait, if any
    bool held = false;   // hold() without resume()
    bool armed = false;  // in the epoll set for input, until it fires
  };

  void shutdown() override;
  // Arms `fd` (whose watch is `watch`) in the set and makes sure Asio's reactor watches the set.
  void arm(Watch& watch, int fd) HATCH_REQUIRES(mu_);
  // Starts an asynchronous wait on the set's descriptor if some watch is armed and none is on.
  void watch_set() HATCH_REQUIRES(mu_);
  void on_ready(const boost::system::error_code& ec);

  const int epoll_fd_;
  asio::posix::stream_descriptor descriptor_;  // epoll_fd_, as Asio's reactor watches it
  Mutex mu_;
  std::unordered_map<int, Watch> watches_ HATCH_GUARDED_BY(mu_);
  std::size_t armed_ HATCH_GUARDED_BY(mu_) = 0;  // watches armed
  bool watching_ HATCH_GUARDED_BY(mu_) = false;  // an asynchronous wait on descriptor_ is on
};

}  // namespace hatch::rpc

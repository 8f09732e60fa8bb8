// The threads that run a process's network I/O and the component calls it serves.
//
// Requests are handled on pool threads: inline on the thread that read them, after the next
// read has been started, with a helper task taking over a batch's remaining frames when a
// handler blocks (see connection.hpp). A handler that blocks (for example on a nested remote
// call) holds one thread and never the connection, so the pool bounds how many served calls
// may block at once.
#pragma once

#include <thread>
#include <vector>

#include "rpc/asio.hpp"

namespace hatch::rpc {

class IoPool {
 public:
  explicit IoPool(int threads);
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  asio::io_context& context() noexcept { return io_; }
  // Stops the threads and joins them. Idempotent. Must not be called from a pool thread.
  void stop();

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

}  // namespace hatch::rpc

#include "rpc/io_pool.hpp"

namespace hatch::rpc {

IoPool::IoPool(int threads) : io_(threads), work_(asio::make_work_guard(io_)) {
  threads_.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
}

IoPool::~IoPool() {
  stop();
}

void IoPool::stop() {
  work_.reset();
  io_.stop();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace hatch::rpc

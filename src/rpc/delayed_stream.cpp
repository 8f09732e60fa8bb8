#include "rpc/delayed_stream.hpp"

#include <deque>
#include <mutex>
#include <string>

namespace hatch::rpc {

namespace {

using Clock = std::chrono::steady_clock;

// Shared with the timer's handler, which may run after the stream is gone.
struct Delayed : std::enable_shared_from_this<Delayed> {
  Delayed(std::unique_ptr<Stream> s, std::chrono::microseconds l)
      : inner(std::move(s)), latency(l), timer(inner->executor()) {}

  void arm() {
    timer.expires_at(queue.front().first);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->send_due();
    });
  }

  // Writes what is due, in order, then waits for the next.
  void send_due() {
    std::deque<std::pair<Clock::time_point, std::string>> due;
    {
      std::lock_guard lock(mu);
      const auto now = Clock::now();
      while (!queue.empty() && queue.front().first <= now) {
        due.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    for (auto& [when, bytes] : due) {
      boost::system::error_code ec;
      const asio::const_buffer buffer(bytes.data(), bytes.size());
      inner->write(std::span<const asio::const_buffer>(&buffer, 1), ec);
      if (ec) {
        std::lock_guard lock(mu);
        failed = ec;
        queue.clear();
        return;
      }
    }
    std::lock_guard lock(mu);
    if (queue.empty()) {
      armed = false;
    } else {
      arm();
    }
  }

  const std::unique_ptr<Stream> inner;
  const std::chrono::microseconds latency;
  std::mutex mu;
  std::deque<std::pair<Clock::time_point, std::string>> queue;  // guarded by mu
  boost::system::error_code failed;                             // guarded by mu
  bool armed = false;                                           // guarded by mu
  asio::steady_timer timer;                                     // guarded by mu
};

class DelayedStream final : public Stream {
 public:
  DelayedStream(std::unique_ptr<Stream> inner, std::chrono::microseconds latency)
      : d_(std::make_shared<Delayed>(std::move(inner), latency)) {}
  ~DelayedStream() override { close(); }

  asio::any_io_executor executor() override { return d_->inner->executor(); }
  void async_read_some(asio::mutable_buffer into, ReadHandler done) override {
    d_->inner->async_read_some(into, std::move(done));
  }
  void read(asio::mutable_buffer into, boost::system::error_code& ec) override {
    d_->inner->read(into, ec);
  }
  void write(std::span<const asio::const_buffer> buffers, boost::system::error_code& ec) override {
    std::string bytes;
    for (const asio::const_buffer& b : buffers) {
      bytes.append(static_cast<const char*>(b.data()), b.size());
    }
    std::lock_guard lock(d_->mu);
    if (d_->failed) {
      ec = d_->failed;
      return;
    }
    d_->queue.emplace_back(Clock::now() + d_->latency, std::move(bytes));
    if (!d_->armed) {
      d_->armed = true;
      d_->arm();
    }
  }
  void close() override {
    {
      std::lock_guard lock(d_->mu);
      d_->queue.clear();
      d_->failed = asio::error::operation_aborted;
      d_->timer.cancel();
    }
    d_->inner->close();
  }

 private:
  const std::shared_ptr<Delayed> d_;
};

}  // namespace

std::unique_ptr<Stream> delay_writes(std::unique_ptr<Stream> stream,
                                     std::chrono::microseconds latency) {
  return std::make_unique<DelayedStream>(std::move(stream), latency);
}

}  // namespace hatch::rpc

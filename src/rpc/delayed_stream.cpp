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
    {
      std::lock_guard lock(mu);
      const auto now = Clock::now();
      sending.clear();
      while (!queue.empty() && queue.front().first <= now) {
        sending += queue.front().second;
        queue.pop_front();
      }
      buffer = asio::const_buffer(sending.data(), sending.size());
    }
    inner->async_write(std::span<const asio::const_buffer>(&buffer, 1),
                       [self = shared_from_this()](const boost::system::error_code& ec,
                                                   std::size_t) { self->sent(ec); });
  }

  void sent(const boost::system::error_code& ec) {
    std::lock_guard lock(mu);
    if (ec) {
      failed = ec;
      queue.clear();
      return;
    }
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
  std::string sending;               // the bytes being written: one write at a time
  asio::const_buffer buffer;         // over `sending`
  boost::system::error_code failed;  // guarded by mu
  bool armed = false;                // guarded by mu
  asio::steady_timer timer;          // guarded by mu
};

class DelayedStream final : public Stream {
 public:
  DelayedStream(std::unique_ptr<Stream> inner, std::chrono::microseconds latency)
      : d_(std::make_shared<Delayed>(std::move(inner), latency)) {}
  ~DelayedStream() override { close(); }

  asio::any_io_executor executor() override { return d_->inner->executor(); }
  void async_read_some(asio::mutable_buffer into, Handler done) override {
    d_->inner->async_read_some(into, std::move(done));
  }
  void async_read(asio::mutable_buffer into, Handler done) override {
    d_->inner->async_read(into, std::move(done));
  }
  bool reads_directly() const override { return d_->inner->reads_directly(); }
  std::size_t read_now(asio::mutable_buffer into, boost::system::error_code& ec) override {
    return d_->inner->read_now(into, ec);
  }
  void async_wait_readable(Handler done) override {
    d_->inner->async_wait_readable(std::move(done));
  }
  std::size_t write_now(std::span<const asio::const_buffer> buffers,
                        boost::system::error_code& ec) override {
    std::string bytes;
    for (const asio::const_buffer& b : buffers) {
      bytes.append(static_cast<const char*>(b.data()), b.size());
    }
    std::lock_guard lock(d_->mu);
    if (d_->failed) {
      ec = d_->failed;
      return 0;
    }
    d_->queue.emplace_back(Clock::now() + d_->latency, std::move(bytes));
    if (!d_->armed) {
      d_->armed = true;
      d_->arm();
    }
    return asio::buffer_size(buffers);
  }
  void async_write(std::span<const asio::const_buffer> buffers, Handler done) override {
    boost::system::error_code ec;
    const std::size_t n = write_now(buffers, ec);
    asio::post(executor(), [done = std::move(done), ec, n] { done(ec, n); });
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

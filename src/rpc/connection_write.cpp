// Connection's sending side: the outbox, corking, asynchronous writes, and the stall watch.
#include "rpc/connection.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/metrics.hpp"
#include "hatch/internal/msgpack.hpp"

namespace hatch::rpc {

namespace {
// Deferred (corked) bytes beyond which a write goes out anyway.
constexpr std::size_t kCorkBytes = 256u << 10;
}  // namespace

bool Connection::send(FrameHeader header, std::string body, Tail tail) {
  std::string head;
  header.tail_bytes = tail.bytes.size();
  try {
    head = encode_head(header, body.size() + tail.bytes.size(), options_.limits);
  } catch (const FrameError& e) {
    FrameHeader error = header;
    error.tail_bytes = 0;
    error.status = StatusCode::internal;
    internal::WireBuffer msg;
    msgpack::pack(msg, std::string("the response is too large: ") + e.what());
    return enqueue(
        OutFrame{
            encode_head(error, msg.bytes().size(), options_.limits), std::move(msg.bytes()), {}},
        std::nullopt);
  }
  return enqueue(OutFrame{std::move(head), std::move(body), std::move(tail)}, std::nullopt);
}

bool Connection::enqueue(OutFrame frame, std::optional<Clock::time_point> wait_until) {
  std::unique_lock lock(out_mu_);
  if (!open_) return false;
  const std::size_t size = frame.head.size() + frame.body.size() + frame.tail.bytes.size();
  out_bytes_ += size;
  outbox_.push_back(std::move(frame));
  if (options_.metrics) {
    options_.metrics->frame_sent();
    options_.metrics->outbox_changed(static_cast<std::int64_t>(size));
  }
  if (writing_) {
    if (wait_until) {
      out_space_.wait_until(lock, *wait_until,
                            [&] { return !open_ || out_bytes_ <= options_.max_outbox_bytes; });
    }
    return open_;
  }
  if (out_bytes_ < kCorkBytes && corked_here()) return true;
  flush(lock);
  return open_;
}

void Connection::flush(std::unique_lock<std::mutex>& lock) {
  writing_ = true;
  while (open_ && !outbox_.empty()) {
    in_flight_.clear();
    in_flight_.swap(outbox_);
    const std::size_t bytes = gather();
    lock.unlock();
    boost::system::error_code ec;
    const std::size_t n = stream_->write_now(unwritten_, ec);
    lock.lock();
    if (ec) {
      writing_ = false;
      lock.unlock();
      close("write failed: " + ec.message());
      lock.lock();
      return;
    }
    account_written(n);
    if (n < bytes) {
      // The peer's window is full: an asynchronous write carries the rest, and this thread
      // goes on. writing_ stays set until it is done.
      lock.unlock();
      write_rest();
      lock.lock();
      return;
    }
  }
  in_flight_.clear();
  writing_ = false;
}

std::size_t Connection::gather() {
  const auto small = [](std::span<const char> b) { return b.size() <= kGatherBytes; };
  // Room for every small piece first, so that the buffers below never see gathered_ move.
  std::size_t room = 0;
  for (const OutFrame& f : in_flight_) {
    for (std::span<const char> b :
         {std::span<const char>(f.head), std::span<const char>(f.body), f.tail.bytes}) {
      if (small(b)) room += b.size();
    }
  }
  gathered_.clear();
  gathered_.reserve(room);
  unwritten_.clear();
  std::size_t bytes = 0;
  bool joining = false;  // the last buffer is the end of gathered_, and may grow
  for (const OutFrame& f : in_flight_) {
    for (std::span<const char> b :
         {std::span<const char>(f.head), std::span<const char>(f.body), f.tail.bytes}) {
      if (b.empty()) continue;
      bytes += b.size();
      if (!small(b)) {
        unwritten_.emplace_back(b.data(), b.size());
        joining = false;
        continue;
      }
      const char* at = gathered_.data() + gathered_.size();
      gathered_.append(b.data(), b.size());
      if (joining) {
        unwritten_.back() =
            asio::const_buffer(unwritten_.back().data(), unwritten_.back().size() + b.size());
      } else {
        unwritten_.emplace_back(at, b.size());
        joining = true;
      }
    }
  }
  return bytes;
}

void Connection::account_written(std::size_t bytes) {
  out_bytes_ -= bytes;
  if (options_.metrics) options_.metrics->outbox_changed(-static_cast<std::int64_t>(bytes));
  out_space_.notify_all();
  // Drop what went from the front of unwritten_.
  std::size_t gone = 0;
  while (gone < unwritten_.size() && bytes >= unwritten_[gone].size()) {
    bytes -= unwritten_[gone].size();
    ++gone;
  }
  unwritten_.erase(unwritten_.begin(), unwritten_.begin() + static_cast<std::ptrdiff_t>(gone));
  if (bytes > 0) unwritten_.front() += bytes;
  if (read_paused_ && out_bytes_ <= options_.max_outbox_bytes) {
    read_paused_ = false;
    asio::post(stream_->executor(), [self = shared_from_this()] { self->read_more(); });
  }
}

void Connection::write_rest() {
  piece_.clear();
  std::size_t bytes = 0;
  for (const asio::const_buffer& b : unwritten_) {
    if (bytes == kPiece) break;
    const std::size_t take = std::min(b.size(), kPiece - bytes);
    piece_.emplace_back(b.data(), take);
    bytes += take;
  }
  write_waiting_.store(true, std::memory_order_relaxed);
  watch_stalls();
  stream_->async_write(
      piece_, [self = shared_from_this(), bytes](const boost::system::error_code& ec, std::size_t) {
        self->on_written(ec, bytes);
      });
}

void Connection::on_written(const boost::system::error_code& ec, std::size_t bytes) {
  write_waiting_.store(false, std::memory_order_relaxed);
  std::unique_lock lock(out_mu_);
  if (ec) {
    writing_ = false;
    lock.unlock();
    close("write failed: " + ec.message());
    return;
  }
  write_progress_.fetch_add(1, std::memory_order_relaxed);
  account_written(bytes);
  if (!unwritten_.empty()) {
    lock.unlock();
    write_rest();
    return;
  }
  writing_ = false;
  if (open_ && !outbox_.empty()) flush(lock);
}

void Connection::watch_stalls() {
  std::lock_guard lock(watch_mu_);
  if (watch_armed_) return;
  watch_armed_ = true;
  seen_read_ = read_progress_.load(std::memory_order_relaxed);
  seen_write_ = write_progress_.load(std::memory_order_relaxed);
  watch_timer_.expires_after(options_.stall_timeout);
  watch_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->on_watch();
  });
}

void Connection::on_watch() {
  const bool partial = frame_partial_.load(std::memory_order_relaxed);
  const bool waiting = write_waiting_.load(std::memory_order_relaxed);
  std::string stalled;
  {
    std::lock_guard lock(watch_mu_);
    watch_armed_ = false;
    const auto ms = std::to_string(options_.stall_timeout.count());
    if (partial && read_progress_.load(std::memory_order_relaxed) == seen_read_) {
      stalled = "the peer sent part of a frame and then nothing for " + ms + " ms";
    } else if (waiting && write_progress_.load(std::memory_order_relaxed) == seen_write_) {
      stalled = "the peer read nothing for " + ms + " ms while bytes waited to be sent to it";
    }
  }
  if (!stalled.empty()) {
    spdlog::warn("closing connection to {}: {}", address_, stalled);
    close(stalled);
    return;
  }
  if (partial || waiting) watch_stalls();
}

bool Connection::corked_here() const {
  return std::find(corkers_.begin(), corkers_.end(), std::this_thread::get_id()) != corkers_.end();
}

bool Connection::cork() {
  std::lock_guard lock(out_mu_);
  if (corked_here()) return false;
  corkers_.push_back(std::this_thread::get_id());
  return true;
}

void Connection::flush_deferred() {
  std::unique_lock lock(out_mu_);
  if (!writing_ && open_ && !outbox_.empty()) flush(lock);
}

void Connection::uncork() {
  std::unique_lock lock(out_mu_);
  const auto it = std::find(corkers_.begin(), corkers_.end(), std::this_thread::get_id());
  if (it == corkers_.end()) return;
  corkers_.erase(it);
  if (!writing_ && open_ && !outbox_.empty()) flush(lock);
}

}  // namespace hatch::rpc

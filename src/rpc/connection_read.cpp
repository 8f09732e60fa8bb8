// The read side of Connection: the read buffers, the readers (an asynchronous read, or on a
// socket that reads directly, an I/O thread woken by readability or a caller that waits), cutting
// frames, and a large frame's rest read apart. See connection.hpp.
#include "rpc/connection.hpp"

#include <algorithm>
#include <cstring>

#include "rpc/io_pool.hpp"

namespace hatch::rpc {

namespace {
// A partial frame with at least this much still to come is read in pieces of exactly the
// bytes it still needs, instead of chunk by chunk.
constexpr std::size_t kLargeRest = 1u << 20;
// A frame's tail (a moving state) of at least this much, with at least this much still to come,
// lands in a buffer of its own that the receiver keeps, instead of in the read buffer it would
// be copied out of.
constexpr std::size_t kTailApart = 256u << 10;
}  // namespace

Connection::ReadBuffer Connection::take_buffer(std::size_t size) {
  for (ReadBuffer& spare : spares_) {
    // use_count() == 1: no payload refers to it and none can start to, since only we hold it.
    if (spare.data && spare.data.use_count() == 1 && spare.capacity >= size) {
      return std::exchange(spare, ReadBuffer{});
    }
  }
  return ReadBuffer{std::make_shared_for_overwrite<char[]>(size), size};
}

void Connection::read_more() {
  if (direct_) {
    arm_wait();
    return;
  }
  stream_->async_read_some(asio::buffer(rbuf_.data.get() + rfill_, rbuf_.capacity - rfill_),
                           [self = shared_from_this()](const boost::system::error_code& ec,
                                                       std::size_t n) { self->on_read(ec, n); });
}

void Connection::arm_wait() {
  if (wait_armed_.exchange(true)) return;
  stream_->async_wait_readable(
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
        self->wait_armed_.store(false);
        if (ec) {
          self->on_read(ec, 0);
          return;
        }
        self->read_turn();
      });
}

void Connection::read_turn() {
  turn_wanted_.store(true);
  std::unique_lock lock(read_mu_, std::try_to_lock);
  if (!lock) return;  // its holder hands the turn back when it lets go
  turn_wanted_.store(false);
  if (reading_elsewhere_) return;  // the chain that reads a large frame reads on after it
  boost::system::error_code ec;
  const std::size_t n =
      stream_->read_now(asio::buffer(rbuf_.data.get() + rfill_, rbuf_.capacity - rfill_), ec);
  if (ec == asio::error::would_block || (!ec && n == 0)) {
    lock.unlock();
    continue_reading();
    return;
  }
  if (ec) {
    lock.unlock();
    on_read(ec, 0);
    return;
  }
  Landed got = land(n);
  lock.unlock();
  take(got);
}

void Connection::read_for_caller() {
  std::unique_lock lock(read_mu_, std::try_to_lock);
  if (!lock) return;
  Landed got;
  boost::system::error_code ec;
  // Not while a large frame's chain reads, nor while the outbox is over its bound: requests
  // read now would add their responses to it.
  if (!reading_elsewhere_ &&
      out_bytes_.load(std::memory_order_relaxed) <= options_.max_outbox_bytes) {
    const std::size_t n =
        stream_->read_now(asio::buffer(rbuf_.data.get() + rfill_, rbuf_.capacity - rfill_), ec);
    if (!ec && n > 0) got = land(n);
  }
  lock.unlock();
  if (turn_wanted_.exchange(false)) {
    asio::post(stream_->executor(), [self = shared_from_this()] { self->read_turn(); });
  }
  if (ec && ec != asio::error::would_block) {
    on_read(ec, 0);
    return;
  }
  if (!got.failure.empty()) {
    close(got.failure);
    return;
  }
  if (!got.reading_elsewhere) continue_reading();
  // Responses complete here; requests are posted to the pool.
  for (std::span<const char> frame : got.frames) process(got.storage, frame, nullptr, true);
}

void Connection::continue_reading() {
  if (out_bytes_.load(std::memory_order_relaxed) > options_.max_outbox_bytes) {
    // Checked again under the lock: the write that drains the outbox resumes reading only if
    // it sees the pause.
    std::lock_guard lock(out_mu_);
    if (out_bytes_.load(std::memory_order_relaxed) > options_.max_outbox_bytes) {
      read_paused_ = true;
      return;
    }
  }
  read_more();
}

void Connection::on_read(const boost::system::error_code& ec, std::size_t n) {
  if (ec) {
    close(ec == asio::error::eof ? "the peer closed the connection"
                                 : "read failed: " + ec.message());
    return;
  }
  Landed got;
  {
    std::lock_guard lock(read_mu_);
    got = land(n);
  }
  take(got);
}

Connection::Landed Connection::land(std::size_t n) {
  Landed got;
  read_progress_.store(read_progress_.load(std::memory_order_relaxed) + 1,
                       std::memory_order_relaxed);  // written with read_mu_ held only
  reading_elsewhere_ = false;
  rfill_ += n;
  std::size_t pos = 0;
  std::size_t need = kReadChunk;
  const char* data = rbuf_.data.get();
  while (rfill_ - pos >= kLengthPrefixBytes) {
    const std::uint32_t len = decode_length(data + pos);
    if (len > options_.limits.max_frame_bytes) {
      got.failure = "the peer sent a frame of " + std::to_string(len) +
                    " bytes, over the limit of " + std::to_string(options_.limits.max_frame_bytes);
      got.frames.clear();
      return got;
    }
    if (rfill_ - pos - kLengthPrefixBytes < len) {
      need = std::max(need, kLengthPrefixBytes + len);
      break;
    }
    got.frames.emplace_back(data + pos + kLengthPrefixBytes, len);
    pos += kLengthPrefixBytes + len;
  }
  frame_partial_.store(rfill_ > pos, std::memory_order_relaxed);
  if (rfill_ > pos) watch_stalls();
  if (!got.frames.empty()) {
    // A large frame that has only begun goes on in a chunk-sized buffer: its tail may land
    // apart (read_tail_apart), and the buffer stays alive with the frames handed over.
    got.storage =
        hand_over_buffer(pos, need >= kLargeRest ? std::max(kReadChunk, rfill_ - pos) : need);
  } else if (need - rfill_ >= kTailApart && read_tail_apart(need)) {
    got.reading_elsewhere = reading_elsewhere_ = true;
  } else {
    if (need > rbuf_.capacity) {
      ReadBuffer next = take_buffer(need);
      std::memcpy(next.data.get(), data, rfill_);
      rbuf_ = std::move(next);
    }
    if (need - rfill_ >= kLargeRest) {
      // The rest of a large frame (a moving state) is on its way: read it in pieces of what it
      // still needs, instead of a scheduler round trip per chunk. Only an authenticated peer
      // gets here.
      stream_->async_read(asio::buffer(rbuf_.data.get() + rfill_, std::min(kPiece, need - rfill_)),
                          [self = shared_from_this()](const boost::system::error_code& e,
                                                      std::size_t got) { self->on_read(e, got); });
      got.reading_elsewhere = reading_elsewhere_ = true;
    }
  }
  return got;
}

std::shared_ptr<const void> Connection::hand_over_buffer(std::size_t used, std::size_t need) {
  std::shared_ptr<const void> filled = rbuf_.data;
  const std::size_t left = rfill_ - used;
  ReadBuffer next = take_buffer(need);
  std::memcpy(next.data.get(), rbuf_.data.get() + used, left);
  spares_.erase(
      std::remove_if(spares_.begin(), spares_.end(), [](const ReadBuffer& b) { return !b.data; }),
      spares_.end());
  if (spares_.size() < kMaxSpareBuffers && rbuf_.capacity <= kMaxSpareBytes) {
    spares_.push_back(std::move(rbuf_));
  }
  rbuf_ = std::move(next);
  rfill_ = left;
  return filled;
}

bool Connection::read_tail_apart(std::size_t need) {
  char* data = rbuf_.data.get();
  DecodedFrame head;
  try {
    head = decode_frame({data + kLengthPrefixBytes, rfill_ - kLengthPrefixBytes}, true);
  } catch (const std::exception&) {
    return false;  // too little of the header yet, or a bad one that process() will report
  }
  const std::size_t tail_bytes = head.header.tail_bytes;
  if (tail_bytes < kTailApart || tail_bytes > need - kLengthPrefixBytes) return false;
  const std::size_t head_end = need - tail_bytes;  // the length prefix, header and body
  if (head_end > rbuf_.capacity) return false;
  tail_read_ = TailRead{std::make_shared<std::vector<std::byte>>(), tail_bytes, head_end};
  if (rfill_ >= head_end) {
    read_tail_piece();  // the tail is not all here yet: this starts reading it
    return true;
  }
  stream_->async_read(
      asio::buffer(data + rfill_, head_end - rfill_),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        self->on_tail_piece(ec, n, 0);
      });
  return true;
}

std::optional<Connection::TailDone> Connection::read_tail_piece() {
  TailRead& t = *tail_read_;
  std::vector<std::byte>& landed = *t.landed;
  if (landed.capacity() == 0) {
    // The tail bytes that came with the head move to the tail's own buffer.
    landed.reserve(t.tail_bytes);
    t.filled = rfill_ - t.head_end;
    landed.resize(t.filled);
    std::memcpy(landed.data(), rbuf_.data.get() + t.head_end, t.filled);
    rfill_ = t.head_end;
  }
  if (t.filled == t.tail_bytes) {
    TailDone done{nullptr, std::move(t.landed), t.head_end};
    tail_read_.reset();
    reading_elsewhere_ = false;
    frame_partial_.store(false, std::memory_order_relaxed);
    done.storage = hand_over_buffer(done.head_end, kReadChunk);
    return done;
  }
  if (landed.size() == t.filled) landed.resize(std::min(t.tail_bytes, t.filled + kPiece));
  // What the socket has now, not all of the piece: the thread that reads it learns that more of
  // the frame is on its way (IoPool::expect_more) instead of sleeping until the piece is whole.
  stream_->async_read_some(
      asio::buffer(landed.data() + t.filled, landed.size() - t.filled),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        self->on_tail_piece(ec, 0, n);
      });
  return std::nullopt;
}

void Connection::on_tail_piece(const boost::system::error_code& ec, std::size_t head_bytes,
                               std::size_t tail_bytes) {
  std::optional<TailDone> done;
  {
    std::lock_guard lock(read_mu_);
    rfill_ += head_bytes;
    if (tail_read_) tail_read_->filled += tail_bytes;
    if (ec) {
      tail_read_.reset();
    } else {
      read_progress_.store(read_progress_.load(std::memory_order_relaxed) + 1,
                           std::memory_order_relaxed);  // written with read_mu_ held only
      done = read_tail_piece();
    }
  }
  if (ec) {
    close(ec == asio::error::eof ? "the peer closed the connection in the middle of a frame"
                                 : "read failed: " + ec.message());
    return;
  }
  if (!done) {
    IoPool::expect_more();
    return;
  }
  continue_reading();
  process(done->storage,
          {static_cast<const char*>(done->storage.get()) + kLengthPrefixBytes,
           done->head_end - kLengthPrefixBytes},
          std::move(done->landed));
}

}  // namespace hatch::rpc

#include "rpc/connection.hpp"

#include "rpc/delayed_stream.hpp"

#include <algorithm>
#include <cstring>
#include <thread>

#include <spdlog/spdlog.h>

#include "core/metrics.hpp"

namespace hatch::rpc {

namespace {
// Reads ask for this much at least: a 64 KiB body and its header arrive in one read.
constexpr std::size_t kReadChunk = 256u << 10;
// Buffers kept for reuse, so that steady traffic allocates (and faults in) no new memory.
constexpr std::size_t kMaxSpareBuffers = 4;
// Larger buffers (for rare large frames) are freed rather than kept.
constexpr std::size_t kMaxSpareBytes = 4 * kReadChunk;
// A partial frame with at least this much still to come is read in pieces of exactly the
// bytes it still needs, instead of chunk by chunk.
constexpr std::size_t kLargeRest = 1u << 20;
}  // namespace

struct Connection::Batch {
  std::shared_ptr<const void> storage;
  std::vector<std::span<const char>> frames;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> helper_queued{false};
};

// What a read brought: the frames complete in the read buffer, and that buffer.
struct Connection::Landed {
  std::shared_ptr<const void> storage;
  std::vector<std::span<const char>> frames;
  bool reading_elsewhere = false;  // a large frame's rest is read by its own chain
  std::string failure;             // why the connection must close, if it must
};

struct Connection::Slot {
  std::atomic<bool> done{false};
  std::mutex mu;
  std::condition_variable cv;
  Response response;
};

Connection::Connection(std::unique_ptr<Stream> stream, std::string address, PeerIdentity peer,
                       ConnectionOptions options)
    : stream_(options.emulated_latency.count() > 0
                  ? delay_writes(std::move(stream), options.emulated_latency)
                  : std::move(stream)),
      address_(std::move(address)),
      peer_(std::move(peer)),
      options_(options),
      direct_(stream_->reads_directly()),
      watch_timer_(stream_->executor()) {
  if (options_.metrics) options_.metrics->connection_opened();
}

Connection::~Connection() {
  stream_->close();
  if (options_.metrics) {
    // Nothing runs on the connection any more: what its outbox still holds leaves the total.
    options_.metrics->outbox_changed(-static_cast<std::int64_t>(out_bytes_));
    if (open_) options_.metrics->connection_closed();
  }
}

void Connection::start(RequestHandler on_request, CloseHandler on_close) {
  on_request_ = std::move(on_request);
  on_close_ = std::move(on_close);
  rbuf_ = take_buffer(kReadChunk);
  read_more();
}

bool Connection::is_open() const {
  std::lock_guard lock(out_mu_);
  return open_;
}

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
  // Responses complete here; requests run on the pool, in the order they came.
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

void Connection::take(Landed& got) {
  if (!got.failure.empty()) {
    close(got.failure);
    return;
  }
  if (!got.reading_elsewhere) continue_reading();
  if (got.frames.empty()) return;
  if (got.frames.size() == 1) {
    process(got.storage, got.frames.front());
    return;
  }
  auto work = std::make_shared<Batch>();
  work->storage = std::move(got.storage);
  work->frames = std::move(got.frames);
  post_helper(work);
  // The responses to a batch of requests leave together, unless a handler waits first.
  const bool corked = cork();
  drain(work);
  if (corked) uncork();
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
  } else if (need - rfill_ >= kLargeRest && read_tail_apart(need)) {
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
  if (tail_bytes < kLargeRest || tail_bytes > need - kLengthPrefixBytes) return false;
  const std::size_t head_end = need - tail_bytes;  // the length prefix, header and body
  if (head_end > rbuf_.capacity) return false;
  tail_read_ = TailRead{std::make_shared<std::vector<std::byte>>(), tail_bytes, head_end};
  if (rfill_ >= head_end) {
    read_tail_piece();  // the tail is not all here yet: this starts reading it
    return true;
  }
  stream_->async_read(asio::buffer(data + rfill_, head_end - rfill_),
                      [self = shared_from_this()](const boost::system::error_code& ec,
                                                  std::size_t n) { self->on_tail_piece(ec, n); });
  return true;
}

std::optional<Connection::TailDone> Connection::read_tail_piece() {
  TailRead& t = *tail_read_;
  std::vector<std::byte>& landed = *t.landed;
  if (landed.capacity() == 0) {
    // The tail bytes that came with the head move to the tail's own buffer.
    landed.reserve(t.tail_bytes);
    const std::size_t early = rfill_ - t.head_end;
    landed.resize(early);
    std::memcpy(landed.data(), rbuf_.data.get() + t.head_end, early);
    rfill_ = t.head_end;
  }
  const std::size_t from = landed.size();
  if (from == t.tail_bytes) {
    TailDone done{nullptr, std::move(t.landed), t.head_end};
    tail_read_.reset();
    reading_elsewhere_ = false;
    frame_partial_.store(false, std::memory_order_relaxed);
    done.storage = hand_over_buffer(done.head_end, kReadChunk);
    return done;
  }
  landed.resize(std::min(t.tail_bytes, from + kPiece));
  stream_->async_read(asio::buffer(landed.data() + from, landed.size() - from),
                      [self = shared_from_this()](const boost::system::error_code& ec,
                                                  std::size_t) { self->on_tail_piece(ec, 0); });
  return std::nullopt;
}

void Connection::on_tail_piece(const boost::system::error_code& ec, std::size_t head_bytes) {
  std::optional<TailDone> done;
  {
    std::lock_guard lock(read_mu_);
    rfill_ += head_bytes;
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
  if (!done) return;
  continue_reading();
  process(done->storage,
          {static_cast<const char*>(done->storage.get()) + kLengthPrefixBytes,
           done->head_end - kLengthPrefixBytes},
          std::move(done->landed));
}

void Connection::post_helper(const std::shared_ptr<Batch>& batch) {
  if (batch->helper_queued.exchange(true)) return;  // one waiting helper is enough
  asio::post(stream_->executor(), [self = shared_from_this(), batch] {
    batch->helper_queued.store(false);
    // The reading thread holds the cork and may be blocked in a handler: send the responses
    // it deferred before and after this helper's share of the work.
    self->flush_deferred();
    if (batch->next.load(std::memory_order_relaxed) < batch->frames.size()) self->drain(batch);
    self->flush_deferred();
  });
}

void Connection::drain(const std::shared_ptr<Batch>& batch) {
  for (;;) {
    const std::size_t i = batch->next.fetch_add(1, std::memory_order_relaxed);
    if (i >= batch->frames.size()) return;
    // Keep one helper ready for the frames after this one, in case this one blocks.
    if (i + 1 < batch->frames.size()) post_helper(batch);
    process(batch->storage, batch->frames[i]);
  }
}

void Connection::process(const std::shared_ptr<const void>& storage, std::span<const char> frame,
                         std::shared_ptr<std::vector<std::byte>> landed, bool on_caller) {
  DecodedFrame decoded;
  try {
    decoded = decode_frame(frame, landed != nullptr);
  } catch (const std::exception& e) {
    spdlog::warn("closing connection to {}: {}", address_, e.what());
    close(std::string("protocol error: ") + e.what());
    return;
  }
  if (options_.metrics) options_.metrics->frame_received();
  internal::Payload payload{storage, decoded.body, decoded.tail, std::move(landed)};
  if (payload.landed) {
    payload.tail = {reinterpret_cast<const char*>(payload.landed->data()), payload.landed->size()};
  }
  switch (decoded.header.kind) {
    case FrameKind::response:
      complete(decoded.header.call_id, Response{decoded.header, std::move(payload), {}});
      return;
    case FrameKind::request:
      if (on_caller) {
        asio::post(stream_->executor(), [self = shared_from_this(), header = decoded.header,
                                         payload = std::move(payload)]() mutable {
          self->on_request_(self, header, std::move(payload));
        });
        return;
      }
      on_request_(shared_from_this(), decoded.header, std::move(payload));
      return;
    default:
      close("protocol error: handshake frame on an established connection");
      return;
  }
}

void Connection::complete(std::uint64_t call_id, Response response) {
  std::shared_ptr<Slot> slot;
  {
    std::lock_guard lock(pending_mu_);
    auto it = pending_.find(call_id);
    if (it == pending_.end()) return;  // its caller gave up at the deadline
    slot = std::move(it->second);
    pending_.erase(it);
  }
  slot->response = std::move(response);
  {
    std::lock_guard lock(slot->mu);
    slot->done.store(true, std::memory_order_release);
  }
  slot->cv.notify_one();
}

Connection::PendingCall Connection::begin(FrameHeader header, std::string body,
                                          Clock::time_point deadline, Tail tail) {
  header.kind = FrameKind::request;
  header.tail_bytes = tail.bytes.size();
  header.call_id = next_call_id_.fetch_add(1, std::memory_order_relaxed);
  const auto now = Clock::now();
  header.budget_us =
      deadline > now
          ? static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count())
          : 1;
  std::string head = encode_head(header, body.size() + tail.bytes.size(), options_.limits);
  PendingCall call;
  call.slot_ = std::make_shared<Slot>();
  call.id_ = header.call_id;
  call.deadline_ = deadline;
  {
    std::lock_guard lock(pending_mu_);
    pending_.emplace(call.id_, call.slot_);
  }
  if (!enqueue(OutFrame{std::move(head), std::move(body), std::move(tail)}, deadline)) {
    {
      std::lock_guard lock(pending_mu_);
      pending_.erase(call.id_);
    }
    std::lock_guard lock(out_mu_);
    Response r;
    r.header.status = StatusCode::connection_lost;
    r.local_error = "the connection to " + address_ + " is closed: " + close_reason_;
    call.failed_ = std::move(r);
  }
  return call;
}

Connection::Response Connection::finish(PendingCall& call) {
  uncork();  // what this thread deferred may be what the peer needs in order to answer
  if (call.failed_) return std::move(*call.failed_);
  Slot& slot = *call.slot_;
  if (options_.spin.count() > 0) {
    if (spinners_.fetch_add(1, std::memory_order_relaxed) == 0) {
      const auto spin_until = std::min(call.deadline_, Clock::now() + options_.spin);
      while (!slot.done.load(std::memory_order_acquire) && Clock::now() < spin_until) {
        // On a plain socket the caller reads its response itself, rather than wait for an I/O
        // thread to be woken to read it.
        if (direct_) {
          read_for_caller();
        } else {
          __builtin_ia32_pause();
        }
      }
    }
    spinners_.fetch_sub(1, std::memory_order_relaxed);
  }
  std::unique_lock lock(slot.mu);
  if (!slot.cv.wait_until(lock, call.deadline_,
                          [&] { return slot.done.load(std::memory_order_acquire); })) {
    lock.unlock();
    bool still_pending = false;
    {
      std::lock_guard plock(pending_mu_);
      still_pending = pending_.erase(call.id_) > 0;
    }
    if (still_pending) {
      Response r;
      r.header.status = StatusCode::deadline_exceeded;
      r.local_error = "no response from " + address_ + " before the deadline";
      return r;
    }
    // The response won the race with the deadline: it is being delivered now.
    lock.lock();
    slot.cv.wait(lock, [&] { return slot.done.load(std::memory_order_acquire); });
  }
  return std::move(slot.response);
}

void Connection::close(const std::string& reason) {
  {
    std::lock_guard lock(out_mu_);
    if (!open_) return;
    open_ = false;
    close_reason_ = reason;
    out_space_.notify_all();
  }
  if (options_.metrics) options_.metrics->connection_closed();
  stream_->close();
  {
    std::lock_guard lock(watch_mu_);
    watch_timer_.cancel();
  }
  std::unordered_map<std::uint64_t, std::shared_ptr<Slot>> pending;
  {
    std::lock_guard lock(pending_mu_);
    pending.swap(pending_);
  }
  for (auto& [id, slot] : pending) {
    slot->response.header.status = StatusCode::connection_lost;
    slot->response.local_error = "the connection to " + address_ + " was lost: " + reason;
    {
      std::lock_guard lock(slot->mu);
      slot->done.store(true, std::memory_order_release);
    }
    slot->cv.notify_one();
  }
  if (on_close_) on_close_(reason);
}

}  // namespace hatch::rpc

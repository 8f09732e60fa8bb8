#include "rpc/connection.hpp"

#include "rpc/delayed_stream.hpp"

#include <sched.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include <spdlog/spdlog.h>

#include "core/metrics.hpp"
#include "rpc/io_pool.hpp"

namespace hatch::rpc {

struct Connection::Slot {
  std::atomic<bool> done{false};
  std::mutex mu;
  std::condition_variable cv;
  Response response;
  // An asynchronous call's: its response goes here, not to a waiting caller.
  ResponseHandler on_response;
  Clock::time_point deadline;
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
      max_spinners_(options.spinners > 0
                        ? options.spinners
                        : std::max(1, static_cast<int>(std::thread::hardware_concurrency()))),
      deadline_timer_(stream_->executor()),
      drain_timer_(stream_->executor()),
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
      complete(decoded.header.call_id, Response{decoded.header, std::move(payload), {}}, on_caller);
      return;
    case FrameKind::request:
      if (on_caller) {
        asio::post(stream_->executor(), [self = shared_from_this(), header = decoded.header,
                                         payload = std::move(payload)]() mutable {
          self->on_request_(self, header, std::move(payload));
          IoPool::expect_more();
        });
        return;
      }
      on_request_(shared_from_this(), decoded.header, std::move(payload));
      IoPool::expect_more();
      return;
    default:
      close("protocol error: handshake frame on an established connection");
      return;
  }
}

void Connection::complete(std::uint64_t call_id, Response response, bool on_caller) {
  std::shared_ptr<Slot> slot;
  {
    std::lock_guard lock(pending_mu_);
    auto it = pending_.find(call_id);
    if (it == pending_.end()) return;  // its caller gave up at the deadline
    slot = std::move(it->second);
    pending_.erase(it);
    if (slot->on_response) deadlines_.erase({slot->deadline, call_id});
  }
  if (slot->on_response) {
    deliver(std::move(slot), std::move(response), !on_caller);
    return;
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
  return start_call(header, std::move(body), deadline, std::move(tail), std::make_shared<Slot>());
}

void Connection::begin_async(FrameHeader header, std::string body, Clock::time_point deadline,
                             ResponseHandler on_response) {
  auto slot = std::make_shared<Slot>();
  slot->on_response = std::move(on_response);
  slot->deadline = deadline;
  PendingCall call = start_call(header, std::move(body), deadline, {}, slot);
  if (call.failed_) slot->on_response(std::move(*call.failed_));
}

Connection::PendingCall Connection::start_call(FrameHeader header, std::string body,
                                               Clock::time_point deadline, Tail tail,
                                               std::shared_ptr<Slot> slot) {
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
  call.slot_ = std::move(slot);
  call.id_ = header.call_id;
  call.deadline_ = deadline;
  const bool async = static_cast<bool>(call.slot_->on_response);
  {
    std::lock_guard lock(pending_mu_);
    pending_.emplace(call.id_, call.slot_);
    if (async) watch_deadline(call.id_, deadline);
  }
  std::optional<Clock::time_point> wait_until;
  if (!async) wait_until = deadline;
  if (!enqueue(OutFrame{std::move(head), std::move(body), std::move(tail)}, wait_until)) {
    {
      std::lock_guard lock(pending_mu_);
      // close() may have failed the call already, and told an asynchronous call's handler.
      if (pending_.erase(call.id_) == 0 && async) return call;
      if (async) deadlines_.erase({deadline, call.id_});
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
  hand_off_drain();  // a handler that calls out may wait: the frames read with it go on
  Slot& slot = *call.slot_;
  if (options_.spin.count() > 0 && !slot.done.load(std::memory_order_acquire)) {
    int before = spinners_.load();
    while (before < max_spinners_ && !spinners_.compare_exchange_weak(before, before + 1)) {
    }
    if (before < max_spinners_) {
      // The spinners read what arrives: the I/O thread that waits for it is not woken for it.
      // The first holds the wait; the last to leave resumes it.
      if (before == 0 && direct_) stream_->hold_waits();
      const auto spin_until = std::min(call.deadline_, Clock::now() + options_.spin);
      while (!slot.done.load(std::memory_order_acquire) && Clock::now() < spin_until) {
        // On a plain socket a spinner reads the responses itself, rather than wait for an I/O
        // thread to be woken to read them.
        if (direct_) {
          read_for_caller();
        } else {
          __builtin_ia32_pause();
        }
        // A thread that wants this core, such as the peer that is to answer on a machine of few
        // cores, has it: the spin spends only idle time.
        if (!slot.done.load(std::memory_order_acquire)) ::sched_yield();
      }
      if (spinners_.fetch_sub(1) == 1 && direct_) stream_->resume_waits();
    }
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
  {
    std::lock_guard lock(drain_mu_);
    drain_timer_.cancel();
  }
  std::unordered_map<std::uint64_t, std::shared_ptr<Slot>> pending;
  {
    std::lock_guard lock(pending_mu_);
    pending.swap(pending_);
    deadlines_.clear();
    deadline_timer_.cancel();
  }
  Response lost;
  lost.header.status = StatusCode::connection_lost;
  lost.local_error = "the connection to " + address_ + " was lost: " + reason;
  for (auto& [id, slot] : pending) {
    if (slot->on_response) {
      deliver(std::move(slot), lost, false);
      continue;
    }
    slot->response = lost;
    {
      std::lock_guard lock(slot->mu);
      slot->done.store(true, std::memory_order_release);
    }
    slot->cv.notify_one();
  }
  if (on_close_) on_close_(reason);
}

void Connection::deliver(std::shared_ptr<Slot> slot, Response response, bool inline_ok) {
  if (inline_ok) {
    slot->on_response(std::move(response));
    return;
  }
  asio::post(stream_->executor(),
             [slot = std::move(slot), response = std::move(response)]() mutable {
               slot->on_response(std::move(response));
             });
}

void Connection::watch_deadline(std::uint64_t id, Clock::time_point deadline) {
  deadlines_.emplace(deadline, id);
  if (!deadline_timer_at_ || deadline < *deadline_timer_at_) arm_deadline_timer(deadline);
}

void Connection::arm_deadline_timer(Clock::time_point at) {
  deadline_timer_at_ = at;
  // Re-arming cancels the wait before; a firing already on its way only looks early.
  deadline_timer_.expires_at(at);
  deadline_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->on_deadlines();
  });
}

void Connection::on_deadlines() {
  std::vector<std::shared_ptr<Slot>> overdue;
  {
    std::lock_guard lock(pending_mu_);
    deadline_timer_at_.reset();
    const auto now = Clock::now();
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      if (auto it = pending_.find(deadlines_.begin()->second); it != pending_.end()) {
        overdue.push_back(std::move(it->second));
        pending_.erase(it);
      }
      deadlines_.erase(deadlines_.begin());
    }
    if (!deadlines_.empty()) arm_deadline_timer(deadlines_.begin()->first);
  }
  for (std::shared_ptr<Slot>& slot : overdue) {
    Response r;
    r.header.status = StatusCode::deadline_exceeded;
    r.local_error = "no response from " + address_ + " before the deadline";
    slot->on_response(std::move(r));
  }
}

}  // namespace hatch::rpc

// How Connection runs the frames of one read: inline on the reading thread, corked so that their
// responses leave together, and handed over to a helper in the pool when a handler blocks.
// See connection.hpp.
#include "rpc/connection.hpp"

#include <algorithm>

#include "rpc/io_pool.hpp"

namespace hatch::rpc {

struct Connection::Batch {
  std::shared_ptr<const void> storage;
  std::vector<std::span<const char>> frames;
  std::atomic<std::size_t> next{0};  // the first frame no thread has claimed
  std::atomic<bool> helper_queued{false};
  // Guarded by drain_mu_: `next` at the last look of the drain watch (none yet: the maximum).
  std::size_t seen = SIZE_MAX;
};

// The batch this thread is draining, so that a wait of its own hands the rest on.
struct Connection::DrainTurn {
  Connection* connection;
  const std::shared_ptr<Batch>* batch;
  bool handed_off = false;
  DrainTurn* outer;  // a turn further down this thread's stack (a handler that drains)
};

thread_local Connection::DrainTurn* Connection::drain_turn_ = nullptr;

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
  watch_batch(work);
  drain(work);
}

void Connection::post_helper(const std::shared_ptr<Batch>& batch) {
  if (batch->helper_queued.exchange(true)) return;  // one waiting helper is enough
  asio::post(stream_->executor(), [self = shared_from_this(), batch] {
    batch->helper_queued.store(false);
    // The thread that drained before may hold a cork while it waits: what it deferred goes now.
    self->flush_deferred();
    self->drain(batch);
  });
}

void Connection::drain(const std::shared_ptr<Batch>& batch) {
  if (batch->next.load(std::memory_order_relaxed) >= batch->frames.size()) return;
  DrainTurn turn{this, &batch, false, drain_turn_};
  drain_turn_ = &turn;
  // The responses to a batch of requests leave together, unless a handler waits first.
  const bool corked = cork();
  for (;;) {
    const std::size_t i = batch->next.fetch_add(1, std::memory_order_relaxed);
    if (i >= batch->frames.size()) break;
    process(batch->storage, batch->frames[i]);
  }
  if (corked) uncork();
  drain_turn_ = turn.outer;
}

void Connection::hand_off_drain() {
  IoPool::step_aside();
  for (DrainTurn* turn = drain_turn_; turn != nullptr; turn = turn->outer) {
    if (turn->handed_off) continue;
    turn->handed_off = true;
    const std::shared_ptr<Batch>& batch = *turn->batch;
    if (batch->next.load(std::memory_order_relaxed) < batch->frames.size()) {
      turn->connection->post_helper(batch);
    }
    turn->connection->flush_deferred();
  }
}

void Connection::watch_batch(const std::shared_ptr<Batch>& batch) {
  std::lock_guard lock(drain_mu_);
  if (draining_.size() >= kPruneDraining) {
    std::erase_if(draining_, [](const std::weak_ptr<Batch>& b) { return b.expired(); });
  }
  draining_.push_back(batch);
  if (drain_armed_) return;
  drain_armed_ = true;
  arm_drain_watch();
}

void Connection::arm_drain_watch() {
  drain_timer_.expires_after(kHandOffAfter);
  drain_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->on_drain_watch();
  });
}

void Connection::on_drain_watch() {
  std::vector<std::shared_ptr<Batch>> stuck;
  {
    std::lock_guard lock(drain_mu_);
    std::erase_if(draining_, [&](const std::weak_ptr<Batch>& weak) {
      std::shared_ptr<Batch> batch = weak.lock();
      if (!batch) return true;
      const std::size_t next = batch->next.load(std::memory_order_relaxed);
      if (next >= batch->frames.size()) return true;
      // No frame claimed since the last look: a handler has held its thread a whole period.
      if (next == batch->seen) stuck.push_back(batch);
      batch->seen = next;
      return false;
    });
    drain_armed_ = !draining_.empty();
    if (drain_armed_) arm_drain_watch();
  }
  for (const std::shared_ptr<Batch>& batch : stuck) post_helper(batch);
}

}  // namespace hatch::rpc

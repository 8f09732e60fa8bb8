// How a primary replica's writes reach its backups: in one order, in batches (group commit).
//
// A write applies on the primary under the replication's order lock and joins the queue of
// writes applied there but not yet sent, in that order. One batch at a time goes to every
// backup: a write that finds no batch on its way sends the whole queue (up to a bound) to all
// backups at once, and the last backup's answer settles the batch: its writes' fates are told,
// and the writes queued meanwhile leave as the next batch. So every replica applies the writes
// in one order, a write is acknowledged only once every backup still in the set has applied
// it, and writes that arrive while a batch travels share the next round trip.
//
// No thread waits for the backups: a write's fate goes to its `done`, on the pool thread that
// read the last answer. A primary that serves many writes at once therefore holds no thread
// per write, and wakes none to hand them over. The queue is bounded: a writer that finds it
// full (a batch's worth) waits for the batch on its way to settle.
//
// A batch of one write goes as the write itself; a longer one as a call of the reserved method
// kApplyWritesMethod (runtime/control.hpp) on the backup's component, whose body lists the
// writes as [[method, binary arguments], ...]. A backup that fails a batch other than with an
// implementation error (which failed the same way on the primary) leaves the set.
//
// A backup that answers `moved` is gated: a transition takes the component from it. The origin
// gates a set's primary before its backups, so a primary still open then is one whose gate was
// lost: the origin dropped it from the set, and the state moves from the backups. So the batch
// is not acknowledged on the primary alone. It is sent again, with a growing pause, until the
// backup's fate is known: it reopens (the move was abandoned) and applies it; it is retired
// (the move completed), and the batch's writes, and every write after, are answered `moved`
// to where the component went, where the caller makes them again; or it stays gated past the
// patience, or fails, and leaves the set, with the batch's outcome unknown to its callers.
// That wait, rare, holds the pool thread that met it, as a served call that waits does.
//
// Thread safety: write() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hatch/internal/mutex.hpp"
#include "hatch/internal/wire_limits.hpp"
#include "runtime/remote_component.hpp"

namespace hatch::runtime {

// What became of a write that a primary applied.
struct WriteFate {
  enum class Kind : std::uint8_t {
    acknowledged,  // every backup still in the set applied it
    moved,         // the component moved to `detail` without it: the caller makes it there
    unknown,       // a backup that was moving left the set: `detail` says why
  };
  Kind kind = Kind::acknowledged;
  std::string detail;
};

// Told a write's fate, once.
using WriteDone = std::function<void(WriteFate)>;

// A write applied on the primary, on its way to the backups.
struct QueuedWrite {
  std::uint32_t method = 0;
  std::string args;  // packed
  WriteDone done{};  // told when its batch is settled
};

// A write of a batch as a backup reads it: `args` points into the batch's body.
struct BatchedWrite {
  std::uint32_t method = 0;
  std::span<const char> args;
};

// Packs `writes` as the body of a kApplyWritesMethod call.
std::string pack_write_batch(std::span<const QueuedWrite> writes);

// The writes of a kApplyWritesMethod body, which stays alive while they are used. Throws
// internal::BadArguments when it is not a list of [method, binary arguments] pairs within
// `limits`.
std::vector<BatchedWrite> unpack_write_batch(std::span<const char> body,
                                             const internal::WireLimits& limits);

// How many of the oldest `queued` writes the next batch takes: at most 1,024, and as many as fit
// half of a `max_frame_bytes` frame once packed, but always one (a write fit a request).
std::size_t next_batch_length(std::span<const QueuedWrite> queued, std::uint32_t max_frame_bytes);

class Replication : public std::enable_shared_from_this<Replication> {
 public:
  // Told the home of a backup that left the set, and why.
  using Lost = std::function<void(const std::string& home, const std::string& why)>;

  // `max_frame_bytes` bounds a batch's frame (the backups' limit too); `patience` bounds how
  // long a batch waits for a gated backup's fate.
  Replication(std::vector<std::shared_ptr<RemoteComponent>> backups, std::vector<std::string> homes,
              std::uint32_t max_frame_bytes, std::chrono::milliseconds patience, Lost lost);

  // Runs `apply` (which applies the write here and says whether it ran) in write order. If it
  // ran, `done` is told its fate once that is known: in most cases, once every backup still in
  // the set has applied it too. If it did not run, `done` is told `acknowledged` at once (the
  // write's own reply says why). Once the component is known to have moved, nothing runs: the
  // fate is `moved`. `done` may run before write() returns, never under the order lock.
  // The longest a write's fate can take once it is queued, backups that do not answer and
  // gated ones included: a bound for a caller that waits for it.
  std::chrono::milliseconds longest_wait() const noexcept { return longest_wait_; }

  template <class Apply>
  void write(std::uint32_t method, std::span<const char> args, Apply&& apply, WriteDone done)
      HATCH_EXCLUDES(order_) {
    std::optional<WriteFate> now;
    std::shared_ptr<Round> round;
    {
      MutexLock lock(order_);
      wait_for_room();
      if (moved_to_) {
        now = WriteFate{WriteFate::Kind::moved, *moved_to_};
      } else if (!apply()) {
        now = WriteFate{};
      } else {
        queued_.push_back({method, std::string(args.data(), args.size()), std::move(done)});
        queued_bytes_ += args.size();
        if (!sending_) round = take_round();
      }
    }
    if (now) done(std::move(*now));
    if (round) send(round);
  }

 private:
  // How a backup answered a batch.
  struct Answer {
    enum class Kind : std::uint8_t { applied, gated, moved, failed };
    Kind kind = Kind::applied;
    std::string detail;  // moved: where to; failed: why
  };
  // A batch on its way, and the backups it goes to.
  struct Round {
    std::vector<QueuedWrite> batch;
    std::vector<std::shared_ptr<RemoteComponent>> backups;
    std::vector<Answer> answers;
    std::atomic<std::size_t> waiting{0};  // backups yet to answer
  };
  // Whether the queue holds a batch's worth of writes.
  bool queue_full() const HATCH_REQUIRES(order_);
  // Waits while the queue is full.
  void wait_for_room() HATCH_REQUIRES(order_);
  // Takes the next batch from the queue, to every backup in the set; marks it on its way.
  std::shared_ptr<Round> take_round() HATCH_REQUIRES(order_);
  // The answer a backup's reply means: `failure` is what finish_remote() would have thrown.
  static Answer answer_of(std::exception_ptr failure) noexcept;
  // Told backup `i`'s answer to a batch, on a pool thread.
  using Answered = std::function<void(std::size_t i, Answer answer)>;
  // Sends `batch` to each of `backups` at once, without waiting.
  static void send_batch(const std::vector<std::shared_ptr<RemoteComponent>>& backups,
                         std::span<const QueuedWrite> batch, const Answered& answered);
  // Sends `round`'s batch to its backups; the last answer settles it.
  void send(const std::shared_ptr<Round>& round) HATCH_EXCLUDES(order_);
  // Waits out the gated backups, drops the backups that failed, tells the batch's writes their
  // fate and sends the next batch, if any.
  void settle(const std::shared_ptr<Round>& round) HATCH_EXCLUDES(order_);
  // Sends `batch` again to the backups that answered it `gated`, with a growing pause, until
  // each answers otherwise or the patience is spent. Returns the answers, each backup's last.
  std::vector<Answer> await_gated(const std::vector<std::shared_ptr<RemoteComponent>>& backups,
                                  std::span<const QueuedWrite> batch,
                                  std::vector<Answer> answers) const noexcept;

  const std::uint32_t max_frame_bytes_;
  const std::chrono::milliseconds patience_;
  const Lost lost_;
  std::chrono::milliseconds longest_wait_{0};
  Mutex order_;
  std::condition_variable_any room_cv_;
  std::vector<std::shared_ptr<RemoteComponent>> backups_ HATCH_GUARDED_BY(order_);
  std::vector<std::string> homes_ HATCH_GUARDED_BY(order_);
  std::vector<QueuedWrite> queued_ HATCH_GUARDED_BY(order_);  // applied here, not yet sent
  std::size_t queued_bytes_ HATCH_GUARDED_BY(order_) = 0;     // their arguments' bytes
  bool sending_ HATCH_GUARDED_BY(order_) = false;             // a batch is on its way
  // Where the component went, once a retired backup said so: this instance is left behind.
  std::optional<std::string> moved_to_ HATCH_GUARDED_BY(order_);
};

}  // namespace hatch::runtime

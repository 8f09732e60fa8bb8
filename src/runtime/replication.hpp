// How a primary replica's writes reach its backups: in one order, in batches (group commit).
//
// A write applies on the primary under the replication's order lock and joins the queue of
// writes applied there but not yet sent, in that order. One batch at a time goes to every
// backup: the first waiting writer that finds no batch on its way takes the whole queue (up to
// a bound), sends it to all backups at once and waits for the slowest; the writers whose writes
// it carries wait until it is acknowledged. So every replica applies the writes in one order,
// a write is answered only once every backup still in the set has applied it, and writes that
// arrive while a batch travels share the next round trip instead of queueing for one each.
//
// A batch of one write goes as the write itself; a longer one as a call of the reserved method
// kApplyWritesMethod (runtime/control.hpp) on the backup's component, whose body lists the
// writes as [[method, binary arguments], ...]. A backup that fails a batch other than with an
// implementation error (which failed the same way on the primary) leaves the set.
//
// Thread safety: write() may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "hatch/internal/mutex.hpp"
#include "hatch/internal/wire_limits.hpp"
#include "runtime/remote_component.hpp"

namespace hatch::runtime {

// A write applied on the primary, on its way to the backups.
struct QueuedWrite {
  std::uint32_t method = 0;
  std::string args;  // packed
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

class Replication {
 public:
  // Told the home of a backup that left the set, and why.
  using Lost = std::function<void(const std::string& home, const std::string& why)>;

  // `max_frame_bytes` bounds a batch's frame (the backups' limit too).
  Replication(std::vector<std::shared_ptr<RemoteComponent>> backups, std::vector<std::string> homes,
              std::uint32_t max_frame_bytes, Lost lost);

  // Runs `apply` (which applies the write here and says whether it ran) in write order; if it
  // ran, returns once every backup still in the set has applied it too.
  template <class Apply>
  void write(std::uint32_t method, std::span<const char> args, Apply&& apply)
      HATCH_EXCLUDES(order_) {
    MutexLock lock(order_);
    if (apply()) forward(method, args);
  }

 private:
  // Queues a write just applied here and waits until its batch is acknowledged, sending
  // batches itself while none is on its way.
  void forward(std::uint32_t method, std::span<const char> args) HATCH_REQUIRES(order_);
  // Takes the next batch from the queue, sends it to every backup with order_ released, and
  // drops the backups that failed it.
  void send_next_batch() HATCH_REQUIRES(order_);
  // Sends `batch` to each of `backups` at once and waits for all; why each failed, "" if not.
  // Only running out of memory escapes it, which ends the process.
  std::vector<std::string> send(const std::vector<std::shared_ptr<RemoteComponent>>& backups,
                                std::span<const QueuedWrite> batch) const noexcept;

  const std::uint32_t max_frame_bytes_;
  const Lost lost_;
  Mutex order_;
  std::condition_variable_any acknowledged_cv_;
  std::vector<std::shared_ptr<RemoteComponent>> backups_ HATCH_GUARDED_BY(order_);
  std::vector<std::string> homes_ HATCH_GUARDED_BY(order_);
  std::vector<QueuedWrite> queued_ HATCH_GUARDED_BY(order_);  // applied here, not yet sent
  std::uint64_t applied_ HATCH_GUARDED_BY(order_) = 0;        // writes applied here, ever
  std::uint64_t acknowledged_ HATCH_GUARDED_BY(order_) = 0;   // of those, the ones sent and done
  bool sending_ HATCH_GUARDED_BY(order_) = false;             // a batch is on its way
};

}  // namespace hatch::runtime

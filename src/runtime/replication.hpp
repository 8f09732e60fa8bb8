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
// A backup that answers `moved` is gated: a transition takes the component from it. The origin
// gates a set's primary before its backups, so a primary still open then is one whose gate was
// lost: the origin dropped it from the set, and the state moves from the backups. So the batch
// is not acknowledged on the primary alone. It is sent again, with a growing pause, until the
// backup's fate is known: it reopens (the move was abandoned) and applies it; it is retired
// (the move completed), and the batch's writes, and every write after, are answered `moved`
// to where the component went, where the caller makes them again; or it stays gated past the
// patience, or fails, and leaves the set, with the batch's outcome unknown to its callers.
//
// Thread safety: write() may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
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

// A write applied on the primary, on its way to the backups.
struct QueuedWrite {
  std::uint32_t method = 0;
  std::string args;           // packed
  WriteFate* fate = nullptr;  // its writer's, told when its batch is done
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

  // `max_frame_bytes` bounds a batch's frame (the backups' limit too); `patience` bounds how
  // long a batch waits for a gated backup's fate.
  Replication(std::vector<std::shared_ptr<RemoteComponent>> backups, std::vector<std::string> homes,
              std::uint32_t max_frame_bytes, std::chrono::milliseconds patience, Lost lost);

  // Runs `apply` (which applies the write here and says whether it ran) in write order; if it
  // ran, returns once its fate is known: in most cases, once every backup still in the set has
  // applied it too. Once the component is known to have moved, nothing runs: the write's fate
  // is `moved`.
  template <class Apply>
  WriteFate write(std::uint32_t method, std::span<const char> args, Apply&& apply)
      HATCH_EXCLUDES(order_) {
    MutexLock lock(order_);
    WriteFate fate;
    if (moved_to_) {
      fate = {WriteFate::Kind::moved, *moved_to_};
    } else if (apply()) {
      forward(method, args, fate);
    }
    return fate;
  }

 private:
  // Queues a write just applied here and waits until its batch is acknowledged, sending
  // batches itself while none is on its way.
  void forward(std::uint32_t method, std::span<const char> args, WriteFate& fate)
      HATCH_REQUIRES(order_);
  // Takes the next batch from the queue, sends it to every backup with order_ released, and
  // drops the backups that failed it.
  void send_next_batch() HATCH_REQUIRES(order_);
  // How a backup answered a batch.
  struct Answer {
    enum class Kind : std::uint8_t { applied, gated, moved, failed };
    Kind kind = Kind::applied;
    std::string detail;  // moved: where to; failed: why
  };
  // Sends `batch` to each of `backups` at once and waits for all. Only running out of memory
  // escapes it, which ends the process.
  std::vector<Answer> send(const std::vector<std::shared_ptr<RemoteComponent>>& backups,
                           std::span<const QueuedWrite> batch) const noexcept;
  // Sends `batch` again to the backups that answered it `gated`, with a growing pause, until
  // each answers otherwise or the patience is spent. Returns the answers, each backup's last.
  std::vector<Answer> await_gated(const std::vector<std::shared_ptr<RemoteComponent>>& backups,
                                  std::span<const QueuedWrite> batch,
                                  std::vector<Answer> answers) const noexcept;

  const std::uint32_t max_frame_bytes_;
  const std::chrono::milliseconds patience_;
  const Lost lost_;
  Mutex order_;
  std::condition_variable_any acknowledged_cv_;
  std::vector<std::shared_ptr<RemoteComponent>> backups_ HATCH_GUARDED_BY(order_);
  std::vector<std::string> homes_ HATCH_GUARDED_BY(order_);
  std::vector<QueuedWrite> queued_ HATCH_GUARDED_BY(order_);  // applied here, not yet sent
  std::uint64_t applied_ HATCH_GUARDED_BY(order_) = 0;        // writes applied here, ever
  std::uint64_t acknowledged_ HATCH_GUARDED_BY(order_) = 0;   // of those, the ones sent and done
  bool sending_ HATCH_GUARDED_BY(order_) = false;             // a batch is on its way
  // Where the component went, once a retired backup said so: this instance is left behind.
  std::optional<std::string> moved_to_ HATCH_GUARDED_BY(order_);
};

}  // namespace hatch::runtime

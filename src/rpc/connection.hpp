// One authenticated connection between two Hatch processes, multiplexed both ways, over a
// Stream (rpc/stream.hpp: TCP, or in memory in tests).
//
// Either side may send requests; responses are matched to requests by call id, so many calls
// are in flight at once over the one connection of a peer pair. A caller blocks in call() until
// its response arrives, its deadline passes, or the connection breaks; the I/O underneath is
// asynchronous and runs on the IoPool.
//
// Thread safety: every public member may be called from any thread.
// Invariants:
//   - at most one read is outstanding; the read loop starts the next read before it hands
//     requests to the handler, so a handler that blocks never stalls the connection;
//   - the frames of one read run inline on the reading thread, and a helper in the pool takes
//     over the rest when a handler waits for a call of its own, or runs a whole hand-off period
//     (kHandOffAfter) without finishing, so no frame waits long behind a slow call;
//   - writes are batched: the first sender to find the outbox idle writes everything queued,
//     as much as the socket takes at once, and an asynchronous write carries the rest; no
//     thread ever waits for the peer to read;
//   - the outbox is bounded: a request's sender that finds it over max_outbox_bytes waits (up to
//     its deadline), and the connection reads no more requests until it drains below the bound;
//   - a peer that stops half-way through a frame, or stops reading while bytes wait for it,
//     for stall_timeout, loses the connection: a stalled peer costs a connection, never a thread;
//   - once closed, a connection stays closed and every pending call fails with connection_lost.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hatch/internal/wire_buffer.hpp"
#include "hatch/internal/wire_limits.hpp"
#include "rpc/asio.hpp"
#include "rpc/frame.hpp"
#include "rpc/stream.hpp"

namespace hatch::internal {
class Metrics;
}  // namespace hatch::internal

namespace hatch::rpc {

using Clock = std::chrono::steady_clock;

struct ConnectionOptions {
  internal::WireLimits limits;
  // Bytes queued for writing beyond which senders wait. Bounds memory under a slow peer.
  std::size_t max_outbox_bytes = 64u << 20;
  // How long a caller spins for its response before it sleeps, yielding its core to any thread
  // that wants it between looks. Spinning saves a wake-up (several microseconds) on fast round
  // trips. At most `spinners` callers of a connection spin at once, each reading what arrives
  // for all; 0 (default) means one per core of the machine.
  std::chrono::microseconds spin{100};
  int spinners = 0;
  // EMULATION, not a network property: every frame this side sends is held this long before
  // it is written, as if the link were that much longer (rpc/delayed_stream.hpp). Frames keep
  // their order. Default 0.
  std::chrono::microseconds emulated_latency{0};
  // A peer that sends part of a frame and then nothing for this long, or reads nothing for this
  // long while bytes wait to be sent to it, loses the connection.
  std::chrono::milliseconds stall_timeout{30000};
  // Where the connection counts itself, its frames and its outbox (core/metrics.hpp). Default
  // null: nowhere.
  std::shared_ptr<internal::Metrics> metrics;

  // What a process's settings (hatch::Options or hatch::NodeOptions, which name these fields
  // alike) ask of its connections.
  template <class Settings>
  static ConnectionOptions of(const Settings& settings) {
    ConnectionOptions options;
    options.limits = settings.limits;
    options.emulated_latency = settings.emulated_link_latency;
    options.stall_timeout = settings.stall_timeout;
    options.metrics = settings.metrics;
    return options;
  }
};

// Bytes sent after a frame's body without being copied into it: a large state leaves from
// where it lies. `owner` keeps `bytes` alive until they are written.
struct Tail {
  std::shared_ptr<const void> owner;
  std::span<const char> bytes;
};

// What the peer said it is in the handshake.
struct PeerIdentity {
  std::string role;  // "origin" or "node"
  std::string name;  // how it names itself: its incarnation (an origin) or its listen address
  // An origin that takes a node over from the origin it has now, alive or not (the operator
  // said so: Options::take_over).
  bool take_over = false;
};

class Connection : public std::enable_shared_from_this<Connection> {
  struct Slot;

 public:
  struct Response {
    FrameHeader header;
    internal::Payload payload;
    std::string local_error;  // why the call failed locally (closed, deadline), else empty
  };
  using RequestHandler = std::function<void(const std::shared_ptr<Connection>&, const FrameHeader&,
                                            internal::Payload)>;
  using CloseHandler = std::function<void(const std::string& reason)>;

  // `stream` has completed the handshake; `address` names the peer in messages.
  Connection(std::unique_ptr<Stream> stream, std::string address, PeerIdentity peer,
             ConnectionOptions options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts reading. `on_request` runs on a pool thread for every request frame and must answer
  // it with send(); `on_close` runs once, when the connection ends.
  void start(RequestHandler on_request, CloseHandler on_close);

  // A request on its way; finish() waits for its response. Move-only.
  class PendingCall {
   public:
    PendingCall() = default;

   private:
    friend class Connection;
    std::shared_ptr<Slot> slot_;
    std::uint64_t id_ = 0;
    Clock::time_point deadline_;
    std::optional<Response> failed_;  // set when the request could not even be sent
  };

  // Sends a request (header.kind, call_id and budget are filled in) without waiting, so a
  // caller can have many in flight. Throws FrameError when it exceeds the frame limit.
  PendingCall begin(FrameHeader header, std::string body, Clock::time_point deadline,
                    Tail tail = {});

  // Blocks until the response of `call`, its deadline or the end of the connection. Never
  // throws: a local failure is a response with status deadline_exceeded or connection_lost and
  // a local_error.
  Response finish(PendingCall& call);

  // Told, once, the response of a call sent with begin_async(), or its local failure as
  // finish() would return it. It runs on a pool thread and must not wait for long.
  using ResponseHandler = std::function<void(Response)>;
  // Sends a request whose response goes to `on_response`: no thread waits for it. Unlike
  // begin(), it never waits for room in the outbox, so whoever sends it bounds how many it has
  // in flight. On a closed connection `on_response` runs before it returns. Throws FrameError
  // when the request exceeds the frame limit.
  void begin_async(FrameHeader header, std::string body, Clock::time_point deadline,
                   ResponseHandler on_response);
  // Where the connection's I/O runs.
  asio::any_io_executor executor() const { return stream_->executor(); }

  // Defers this thread's writes on the connection until uncork() (or until it waits in
  // finish()), so that many requests or responses go out in one system call. Several threads
  // may cork at once; the first to uncork sends what all of them deferred. Returns false when
  // this thread has corked already.
  bool cork();
  // Sends what cork() deferred.
  void uncork();

  // Called by a thread about to wait for something other than a response (finish() calls it
  // itself): the frames read with the handler it runs go on in helpers, and the responses it
  // deferred leave.
  static void hand_off_drain();

  // begin() then finish().
  Response call(FrameHeader header, std::string body, Clock::time_point deadline) {
    PendingCall pending = begin(header, std::move(body), deadline);
    return finish(pending);
  }

  // Queues a frame (a response); header.tail_bytes is set from `tail`. Returns false when the
  // connection is closed.
  bool send(FrameHeader header, std::string body, Tail tail = {});

  // Ends the connection; pending calls fail with `reason`. Idempotent.
  void close(const std::string& reason);

  bool is_open() const;
  const std::string& address() const noexcept { return address_; }
  const PeerIdentity& peer() const noexcept { return peer_; }
  const ConnectionOptions& options() const noexcept { return options_; }

 private:
  // A large frame is read, and a large write goes out, this much at a time: each piece is
  // progress for the stall watch. A tail read apart grows by a piece per read: zeroing a piece
  // just before the socket fills it keeps the piece in cache.
  static constexpr std::size_t kPiece = 4u << 20;
  // Reads ask for this much at least: a 64 KiB body and its header arrive in one read.
  static constexpr std::size_t kReadChunk = 256u << 10;
  // Buffers kept for reuse, so that steady traffic allocates (and faults in) no new memory;
  // larger ones (for rare large frames) are freed rather than kept.
  static constexpr std::size_t kMaxSpareBuffers = 4;
  static constexpr std::size_t kMaxSpareBytes = 4 * kReadChunk;
  // Pieces of frames up to this size are copied together before they are written.
  static constexpr std::size_t kGatherBytes = 4096;
  // A handler that runs this long hands the frames read with it to another thread. Short enough
  // that a handler blocked on something of its own delays the frames behind it little; long
  // enough that a fast batch never wakes a second thread to compete for its frames.
  static constexpr std::chrono::microseconds kHandOffAfter{500};
  // Finished batches the watch keeps before registering a new one prunes them.
  static constexpr std::size_t kPruneDraining = 16;

  struct OutFrame {
    std::string head;
    std::string body;
    Tail tail;
  };

  // Reads on: an asynchronous read, or on a stream that reads directly, a wait for something to
  // read (arm_wait), after which whoever holds read_mu_ reads: an I/O thread (read_turn) or a
  // caller waiting for its response (read_for_caller). A reader that finds read_mu_ taken sets
  // turn_wanted_, and the holder posts a turn when it lets go, so no readiness is lost.
  void read_more();
  void arm_wait();
  void read_turn();
  void read_for_caller();
  // What a read brought: the frames complete in the read buffer, and that buffer.
  struct Landed {
    std::shared_ptr<const void> storage;
    std::vector<std::span<const char>> frames;
    bool reading_elsewhere = false;  // a large frame's rest is read by its own chain
    std::string failure;             // why the connection must close, if it must
  };
  // Takes `n` more bytes of the read buffer: cuts the frames complete in it and prepares the
  // next read, starting a large frame's own chain if one has begun. Requires read_mu_.
  Landed land(std::size_t n);
  // Closes on a failure; reads on unless a large frame's chain does; runs the frames.
  void take(Landed& got);
  // Reads on, unless the outbox is over its bound: then the next write that brings it below
  // reads on.
  void continue_reading();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  struct Batch;
  struct DrainTurn;
  // Runs the frames of `batch` that no other thread has claimed yet, corked.
  void drain(const std::shared_ptr<Batch>& batch);
  // Queues a task in the pool that drains `batch` (one at a time).
  void post_helper(const std::shared_ptr<Batch>& batch);
  // The drain watch: every kHandOffAfter while batches drain, a batch that claimed no frame
  // since the last look gets a helper.
  void watch_batch(const std::shared_ptr<Batch>& batch);
  void arm_drain_watch();  // requires drain_mu_
  void on_drain_watch();
  // Hands the read buffer to the frames in its first `used` bytes and continues in a buffer of
  // at least `need` bytes, starting with the bytes after them. Returns the handed-over buffer.
  std::shared_ptr<const void> hand_over_buffer(std::size_t used, std::size_t need);
  // Starts reading the rest of a frame of `need` bytes (length prefix included) whose header
  // announces a large tail: the head into the read buffer, the tail into a vector of its own
  // that its receiver may keep (Payload::landed). Returns false, having started nothing, when
  // the frame has no such tail or too little of its header has arrived.
  bool read_tail_apart(std::size_t need);
  // A large frame whose tail has all arrived: its head's buffer and its tail.
  struct TailDone {
    std::shared_ptr<const void> storage;
    std::shared_ptr<std::vector<std::byte>> landed;
    std::size_t head_end = 0;
  };
  // Starts reading the next piece of the tail, or returns the frame when all of it is in.
  // Requires read_mu_.
  std::optional<TailDone> read_tail_piece();
  // A read for the tail's frame ended: `head_bytes` of its head, or `tail_bytes` of the tail.
  void on_tail_piece(const boost::system::error_code& ec, std::size_t head_bytes,
                     std::size_t tail_bytes);
  // Runs one frame: a response completes its call, a request goes to the handler, on this
  // thread or, read by a waiting caller (`on_caller`), posted to the pool.
  void process(const std::shared_ptr<const void>& storage, std::span<const char> frame,
               std::shared_ptr<std::vector<std::byte>> landed = nullptr, bool on_caller = false);
  // Queues a frame. A request (`wait_until` set) waits while the outbox is over its bound, up
  // to that time. Returns false when the connection is closed.
  bool enqueue(OutFrame frame, std::optional<Clock::time_point> wait_until);
  // Whether this thread has corked the connection. Requires out_mu_.
  bool corked_here() const;
  // Lays in_flight_ out as unwritten_: small pieces copied together into gathered_, so that
  // a batch of small frames is one buffer (a system call takes at most 64), larger ones as
  // they lie. Returns the bytes. Requires writing_ set.
  std::size_t gather();
  // Writes what a corked thread deferred, leaving the cork in place.
  void flush_deferred();
  // Writes the outbox: what the stream takes at once, then the rest asynchronously
  // (write_rest). Requires out_mu_ held by `lock` and writing_ clear.
  void flush(std::unique_lock<std::mutex>& lock);
  // Writes the next piece of unwritten_. Requires writing_ set, out_mu_ not held.
  void write_rest();
  void on_written(const boost::system::error_code& ec, std::size_t bytes);
  // Counts `bytes` of the frames in flight as written. Requires out_mu_ held.
  void account_written(std::size_t bytes);
  // Makes sure the stall watch runs while a frame is half-read or a write waits.
  void watch_stalls();
  void on_watch();
  // Completes the call `call_id`; `on_caller` when a waiting caller read its response.
  void complete(std::uint64_t call_id, Response response, bool on_caller = false);
  // Registers `slot` as the call `header` (kind, call id and budget filled in here) and queues
  // it; a request whose slot has no handler waits for room in the outbox up to `deadline`.
  PendingCall start_call(FrameHeader header, std::string body, Clock::time_point deadline,
                         Tail tail, std::shared_ptr<Slot> slot);
  // Has the deadline timer fail the asynchronous call `id` at `deadline`. Requires pending_mu_.
  void watch_deadline(std::uint64_t id, Clock::time_point deadline);
  void arm_deadline_timer(Clock::time_point at);  // requires pending_mu_
  // Fails the asynchronous calls whose deadline has passed.
  void on_deadlines();
  // Runs an asynchronous call's handler on a pool thread: posted, unless this thread reads for
  // the pool (`inline_ok`).
  void deliver(std::shared_ptr<Slot> slot, Response response, bool inline_ok);

  const std::unique_ptr<Stream> stream_;
  const std::string address_;
  const PeerIdentity peer_;
  const ConnectionOptions options_;
  RequestHandler on_request_;
  CloseHandler on_close_;

  // A read buffer. Frames handed to handlers keep theirs alive through Payload::storage.
  struct ReadBuffer {
    std::shared_ptr<char[]> data;
    std::size_t capacity = 0;
  };
  // A buffer of at least `size` bytes: a spare that no payload uses any more, or a new one.
  ReadBuffer take_buffer(std::size_t size);

  const bool direct_;  // the stream reads directly: callers may read their responses
  std::atomic<bool> wait_armed_{false};
  std::atomic<bool> turn_wanted_{false};
  // Read state: touched with read_mu_ held, by the one reader of the moment.
  std::mutex read_mu_;
  bool reading_elsewhere_ = false;  // a large frame's own chain reads
  ReadBuffer rbuf_;
  std::size_t rfill_ = 0;
  std::vector<ReadBuffer> spares_;  // buffers handed to frames, reused once they are released
  struct TailRead {
    std::shared_ptr<std::vector<std::byte>> landed;
    std::size_t tail_bytes = 0;
    std::size_t head_end = 0;  // where the tail begins in the frame (length prefix included)
    std::size_t filled = 0;    // bytes of the tail in `landed`
  };
  std::optional<TailRead> tail_read_;  // a large tail being read apart

  std::atomic<std::uint64_t> next_call_id_{1};
  std::atomic<int> spinners_{0};
  const int max_spinners_;  // options_.spinners, or the machine's cores
  std::mutex pending_mu_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Slot>> pending_;  // guarded by pending_mu_
  // The asynchronous calls' deadlines, soonest first, and the timer that fails them: armed for
  // the soonest, so that calls with the same timeout, each later than the last, arm it rarely.
  std::set<std::pair<Clock::time_point, std::uint64_t>> deadlines_;  // guarded by pending_mu_
  asio::steady_timer deadline_timer_;                                // guarded by pending_mu_
  std::optional<Clock::time_point> deadline_timer_at_;               // guarded by pending_mu_

  mutable std::mutex out_mu_;
  std::condition_variable out_space_;
  std::vector<OutFrame> outbox_;  // guarded by out_mu_
  // Queued and in flight. Written under out_mu_; read without it by the read loop, whose check
  // of the bound must not take the writers' lock on every read.
  std::atomic<std::size_t> out_bytes_{0};
  bool writing_ = false;      // guarded by out_mu_
  bool read_paused_ = false;  // guarded by out_mu_; reading waits for the outbox to drain
  // Guarded by out_mu_: the threads whose writes wait (few: one per thread that corks).
  std::vector<std::thread::id> corkers_;
  bool open_ = true;          // guarded by out_mu_
  std::string close_reason_;  // guarded by out_mu_

  // Write state, owned by the writer (the thread or completion that set writing_).
  std::vector<OutFrame> in_flight_;            // the frames being written
  std::string gathered_;                       // their small pieces, copied together
  std::vector<asio::const_buffer> unwritten_;  // what of them is still to go
  std::vector<asio::const_buffer> piece_;      // what the asynchronous write has under way

  // The batches being drained, looked at by the drain watch.
  std::mutex drain_mu_;
  std::vector<std::weak_ptr<Batch>> draining_;  // guarded by drain_mu_
  bool drain_armed_ = false;                    // guarded by drain_mu_
  asio::steady_timer drain_timer_;              // guarded by drain_mu_
  // The batches this thread is draining, innermost first.
  static thread_local DrainTurn* drain_turn_;

  // The stall watch: progress counts and what may stall, checked every stall_timeout.
  std::atomic<std::uint64_t> read_progress_{0};
  std::atomic<std::uint64_t> write_progress_{0};
  std::atomic<bool> frame_partial_{false};  // part of a frame has arrived, not all of it
  std::atomic<bool> write_waiting_{false};  // an asynchronous write is under way
  std::mutex watch_mu_;
  asio::steady_timer watch_timer_;  // guarded by watch_mu_
  bool watch_armed_ = false;        // guarded by watch_mu_
  std::uint64_t seen_read_ = 0;     // guarded by watch_mu_; progress at the last check
  std::uint64_t seen_write_ = 0;    // guarded by watch_mu_
};

}  // namespace hatch::rpc

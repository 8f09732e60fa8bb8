// The threads that run a process's network I/O and the component calls it serves.
//
// Requests are handled on pool threads: inline on the thread that read them, after the next
// read has been started, with a helper task taking over a batch's remaining frames when a
// handler blocks (see connection.hpp). A handler that blocks (for example on a nested remote
// call) holds one thread and never the connection, so the pool bounds how many served calls
// may block at once.
//
// One thread at a time leads: it alone runs the I/O context, waiting for events and running
// their handlers inline. The others stand by. Were every thread to run the context, Asio would
// wake a second thread for every event, to wait for the next one while the first runs its
// handler: two wake-ups per message instead of one (docs/decisions.md, "One thread leads the
// I/O pool"). The leader hands the lead to a standby thread when:
//   - it is about to wait (Connection::finish and hand_off_drain call step_aside());
//   - a watch thread sees it finish no handler for a period (kStepAsideAfter) while it is not
//     waiting for events: a handler runs long, or waits without saying so.
// So a slow or blocked handler delays the process's other I/O by a period or two. The old
// leader, once its handler returns, runs what that handler left queued on it, then leads again
// if no one does, else stands by.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "rpc/asio.hpp"
#include "rpc/poll_window.hpp"

namespace hatch::rpc {

class IoPool {
 public:
  // A leader that finishes no handler this long, while it does not wait for events, hands the
  // lead to another thread.
  static constexpr std::chrono::microseconds kStepAsideAfter{500};
  // How often the watch looks at a leader that waits for events.
  static constexpr std::chrono::milliseconds kIdleLook{10};

  // After a handler that served a request (expect_more()), the leader goes on polling for events
  // a while, giving its core to any other thread that wants it, before it sleeps: on these VMs
  // waking a sleeping thread costs more than a whole loopback round trip (docs/decisions.md,
  // "The I/O leader polls a while after it served a request"). The while follows the gaps
  // between events (PollWindow), from this floor up to this ceiling, which stays below
  // kStepAsideAfter. A floor of 0 sleeps at once.
  static constexpr std::chrono::microseconds kPollAfterWork{50};
  static constexpr std::chrono::microseconds kPollCeiling{400};
  // The name of the pool's threads (as top -H and /proc/<pid>/task/*/comm show it); its watch
  // is "hatch-io-watch".
  static constexpr const char* kThreadName = "hatch-io";

  explicit IoPool(int threads, PollWindow::Limits poll = {kPollAfterWork, kPollCeiling});
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  asio::io_context& context() noexcept { return io_; }
  // Stops the threads and joins them. Idempotent. Must not be called from a pool thread.
  void stop();

  // Called by a handler that served a request: its peer may well send the next one at once, so
  // the leader polls for it a while (kPollAfterWork) before it sleeps. A no-op on any thread
  // but a leader's.
  static void expect_more();

  // Called by a thread about to wait: if it leads a pool, another thread leads now. Cheap, and
  // a no-op, on any other thread.
  static void step_aside();

  // How long the leader now polls after serving a request.
  std::chrono::nanoseconds poll_window() const noexcept { return poll_window_.current(); }

  // Whether thread `tid` of this process is blocked in epoll_wait, read from /proc; nothing
  // when that cannot be read.
  static std::optional<bool> waits_for_events(long tid);

 private:
  void run(std::uint64_t token);
  // Wakes a standby thread to lead in place of `token`, if `token` leads. Requires mu_.
  void hand_lead_from(std::uint64_t token);
  void watch();

  PollWindow poll_window_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  // Never set. Asio adds its reactor to a context with the first timer or socket: this one puts
  // it there from the start, so that an idle leader waits in epoll_wait, where the watch sees it.
  asio::steady_timer reactor_;
  std::mutex mu_;
  std::condition_variable standby_;  // threads waiting to lead
  std::condition_variable watch_cv_;
  bool stopping_ = false;  // guarded by mu_
  // The leading thread's token (its index + 1), 0 for none. Written under mu_.
  std::atomic<std::uint64_t> leader_{0};
  std::atomic<int> leader_tid_{0};
  // Handlers the leaders have finished, and polls that found none; the watch looks at it every
  // period while it moves.
  std::atomic<std::uint64_t> progress_{0};
  std::atomic<bool> watching_{false};  // the watch looks every kStepAsideAfter, not kIdleLook
  std::vector<std::thread> threads_;
  std::thread watcher_;
};

}  // namespace hatch::rpc

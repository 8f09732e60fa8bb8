#include "rpc/io_pool.hpp"

#include <fstream>
#include <string>
#include <utility>

#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace hatch::rpc {

// A polling leader must not look stuck to the watch for want of a finished handler.
static_assert(IoPool::kPollCeiling < IoPool::kStepAsideAfter);

namespace {

// The pool this thread belongs to, and its token there.
thread_local IoPool* t_pool = nullptr;
thread_local std::uint64_t t_token = 0;
// Set by expect_more() during a handler: the leader polls once it returns.
thread_local bool t_expect_more = false;

}  // namespace

IoPool::IoPool(int threads, PollWindow::Limits poll)
    : poll_window_(poll), io_(threads), work_(asio::make_work_guard(io_)), reactor_(io_) {
  threads_.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this, i] { run(static_cast<std::uint64_t>(i) + 1); });
  }
  watcher_ = std::thread([this] { watch(); });
}

IoPool::~IoPool() {
  stop();
}

void IoPool::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  standby_.notify_all();
  watch_cv_.notify_all();
  work_.reset();
  io_.stop();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  if (watcher_.joinable()) watcher_.join();
}

void IoPool::run(std::uint64_t token) {
  ::pthread_setname_np(::pthread_self(), kThreadName);
  t_pool = this;
  t_token = token;
  std::unique_lock lock(mu_);
  for (;;) {
    standby_.wait(lock, [&] { return stopping_ || leader_.load() == 0; });
    if (stopping_) return;
    leader_.store(token);
    leader_tid_.store(static_cast<int>(::syscall(SYS_gettid)));
    lock.unlock();
    bool stopped = false;
    // While a poll runs: when it began, and when it ends.
    auto poll_from = std::chrono::steady_clock::time_point{};
    auto poll_until = std::chrono::steady_clock::time_point{};
    while (leader_.load(std::memory_order_acquire) == token) {
      if (std::chrono::steady_clock::now() < poll_until) {
        if (io_.poll_one() == 0) {
          if (io_.stopped()) {
            stopped = true;
            break;
          }
          progress_.fetch_add(1, std::memory_order_relaxed);  // not stuck: the watch leaves it be
          ::sched_yield();  // a thread that wants this core has it
          continue;
        }
      } else if (io_.run_one() == 0) {
        stopped = true;
        break;
      } else if (poll_until != std::chrono::steady_clock::time_point{}) {
        // The poll ran out before this event came.
        poll_window_.slept(std::chrono::steady_clock::now() - poll_from);
        poll_until = {};
      }
      progress_.fetch_add(1, std::memory_order_relaxed);
      if (std::exchange(t_expect_more, false)) {
        poll_from = std::chrono::steady_clock::now();
        poll_until = poll_from + poll_window_.current();
      }
    }
    // What the last handler queued on this thread went to the shared queue when it returned,
    // without waking the leader, which may be waiting for events: run it here.
    if (!stopped) io_.poll();
    t_expect_more = false;  // said by what it ran as a follower: no lead of its own to extend
    lock.lock();
    if (stopped) {
      hand_lead_from(token);
      return;
    }
  }
}

void IoPool::hand_lead_from(std::uint64_t token) {
  if (token == 0 || leader_.load() != token) return;
  leader_.store(0);
  leader_tid_.store(0);
  standby_.notify_one();
}

void IoPool::expect_more() {
  t_expect_more = true;
}

void IoPool::step_aside() {
  IoPool* pool = t_pool;
  if (pool == nullptr || pool->leader_.load(std::memory_order_relaxed) != t_token) return;
  std::lock_guard lock(pool->mu_);
  pool->hand_lead_from(t_token);
}

void IoPool::watch() {
  ::pthread_setname_np(::pthread_self(), "hatch-io-watch");
  std::uint64_t seen = progress_.load();
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const auto look = watching_.load() ? std::chrono::microseconds(kStepAsideAfter)
                                       : std::chrono::microseconds(kIdleLook);
    if (watch_cv_.wait_for(lock, look, [&] { return stopping_; })) return;
    if (progress_.load() != seen) {
      seen = progress_.load();
      watching_.store(true);
      continue;
    }
    // No handler finished for a whole look: the leader waits for events, or is stuck in one.
    lock.unlock();
    const int tid = leader_tid_.load();
    const std::optional<bool> waits = tid == 0 ? true : waits_for_events(tid);
    lock.lock();
    if (waits.value_or(false)) {
      watching_.store(false);
    } else if (progress_.load() == seen) {
      hand_lead_from(leader_.load());
      // Unable to tell: the lead moves every idle look, never faster.
      if (!waits) watching_.store(false);
    }
  }
}

std::optional<bool> IoPool::waits_for_events(long tid) {
  // The first field is the number of the system call the thread is blocked in, or "running".
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
  std::string call;
  if (!(in >> call)) return std::nullopt;
  return call == std::to_string(SYS_epoll_wait) || call == std::to_string(SYS_epoll_pwait);
}

}  // namespace hatch::rpc

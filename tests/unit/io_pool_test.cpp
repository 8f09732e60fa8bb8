// How the I/O pool's threads share the lead: one thread runs the events, a slow or waiting
// handler hands the lead on, and an event wakes one thread, not two.
#include "rpc/io_pool.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace hatch::rpc {
namespace {

constexpr auto kBound = std::chrono::seconds(30);

// The voluntary context switches (sleeps) of the I/O pools' threads in this process: their
// watches, which look at a clock, are not counted.
std::uint64_t sleeps_of_pool_threads() {
  std::uint64_t total = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (!std::getline(comm, name) || name != IoPool::kThreadName) continue;
    std::ifstream status(task.path() / "status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0) {
        total += std::stoull(line.substr(line.find(':') + 1));
      }
    }
  }
  return total;
}

// Whether a handler that posts its answer and then waits for it gets it, having stepped aside
// first or not.
bool a_waiting_handler_gets_its_answer(IoPool& pool, bool step_aside) {
  std::promise<void> answer;
  std::shared_future<void> answered = answer.get_future().share();
  std::promise<bool> waited;
  asio::post(pool.context(), [&] {
    if (step_aside) IoPool::step_aside();
    asio::post(pool.context(), [&] { answer.set_value(); });
    waited.set_value(answered.wait_for(kBound) == std::future_status::ready);
  });
  std::future<bool> result = waited.get_future();
  const bool got = result.wait_for(kBound + std::chrono::seconds(5)) == std::future_status::ready &&
                   result.get();
  pool.stop();  // before what its handlers use goes out of scope
  return got;
}

// A handler that runs until a later event has run, spinning or blocked: only another thread can
// run that event, once the watch has seen the leader stuck.
TEST(IoPool, AHandlerThatRunsLongHandsTheLeadOnSoTheEventsBehindItRun) {
  IoPool pool(4);
  std::atomic<bool> released{false};
  std::promise<void> long_done;
  asio::post(pool.context(), [&] {
    const auto until = std::chrono::steady_clock::now() + kBound;
    while (!released.load() && std::chrono::steady_clock::now() < until) {
    }
    long_done.set_value();
  });
  std::promise<void> later_ran;
  asio::post(pool.context(), [&] {
    released.store(true);
    later_ran.set_value();
  });
  ASSERT_EQ(later_ran.get_future().wait_for(kBound), std::future_status::ready);
  ASSERT_EQ(long_done.get_future().wait_for(kBound), std::future_status::ready);
  EXPECT_TRUE(released.load());
  pool.stop();
}

TEST(IoPool, AHandlerThatBlocksWithoutSayingSoHandsTheLeadOn) {
  IoPool pool(4);
  EXPECT_TRUE(a_waiting_handler_gets_its_answer(pool, false));
}

TEST(IoPool, AHandlerThatStepsAsideBeforeItWaitsLetsAnotherThreadRunWhatItWaitsFor) {
  // The watch would hand the lead on too, but only after a period: the answer comes sooner.
  IoPool pool(2);
  EXPECT_TRUE(a_waiting_handler_gets_its_answer(pool, true));
}

// A handler that lost the lead queues work as a continuation (which Asio keeps on the thread
// until the handler returns) while the new leader waits for events: the work still runs.
TEST(IoPool, WhatAHandlerQueuesAfterItLostTheLeadRuns) {
  IoPool pool(2);
  std::promise<void> ran;
  std::future<void> done = ran.get_future();
  asio::post(pool.context(), [&] {
    IoPool::step_aside();
    std::promise<long> other_leads;
    asio::post(pool.context(), [&] { other_leads.set_value(::syscall(SYS_gettid)); });
    const long leader = other_leads.get_future().get();
    // Once the new leader waits for events, nothing but this work can wake it.
    const auto until = std::chrono::steady_clock::now() + kBound;
    while (!IoPool::waits_for_events(leader).value_or(false) &&
           std::chrono::steady_clock::now() < until) {
    }
    asio::defer(pool.context(), [&] { ran.set_value(); });
  });
  EXPECT_EQ(done.wait_for(kBound), std::future_status::ready);
  pool.stop();
}

// Whether thread `tid` of this process blocks in epoll_wait: its poll, which calls epoll_wait
// with a timeout of 0, is over. Read from /proc/self/task/<tid>/syscall: the call's number,
// then its arguments, the timeout fourth.
bool blocks_in_epoll_wait(long tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
  std::string call, epoll_fd, events, max_events, timeout;
  if (!(in >> call >> epoll_fd >> events >> max_events >> timeout)) return false;
  const bool epoll_wait =
      call == std::to_string(SYS_epoll_wait) || call == std::to_string(SYS_epoll_pwait);
  return epoll_wait && timeout != "0x0";
}

// Sends single bytes over a socket that `pool` reads, each once the previous one has been read
// and `before_send` (given the thread that read it) has returned, and counts the sleeps of the
// pool's threads while `events` of them arrive. The handler that reads a byte says it served a
// request when `served`.
std::uint64_t sleeps_while_bytes_arrive(IoPool& pool, int events, bool served,
                                        const std::function<void(long reader)>& before_send = {}) {
  asio::local::stream_protocol::socket reader(pool.context());
  asio::local::stream_protocol::socket writer(pool.context());
  asio::local::connect_pair(reader, writer);
  char byte = 0;
  std::atomic<long> reader_tid{0};
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  std::function<void()> read_one = [&] {
    asio::async_read(reader, asio::buffer(&byte, 1),
                     [&](const boost::system::error_code& ec, std::size_t) {
                       if (ec) return;
                       reader_tid.store(::syscall(SYS_gettid));
                       if (served) IoPool::expect_more();
                       {
                         std::lock_guard lock(mu);
                         ++arrived;
                       }
                       cv.notify_one();
                       read_one();
                     });
  };
  asio::post(pool.context(), read_one);
  const auto send_and_wait = [&](int count, const std::function<void(long)>& before) {
    for (int i = 0; i < count; ++i) {
      if (before) before(reader_tid.load());
      std::unique_lock lock(mu);
      const int before = arrived;
      lock.unlock();
      ASSERT_EQ(::write(writer.native_handle(), "x", 1), 1);
      lock.lock();
      ASSERT_TRUE(cv.wait_for(lock, kBound, [&] { return arrived > before; }));
    }
  };
  send_and_wait(20, {});  // every thread has run, and gone to sleep, once
  const std::uint64_t before = sleeps_of_pool_threads();
  send_and_wait(events, before_send);
  const std::uint64_t sleeps = sleeps_of_pool_threads() - before;
  pool.stop();  // before what its handlers use goes out of scope
  return sleeps;
}

constexpr int kEvents = 400;

TEST(IoPool, AnEventWakesOneThreadNotTwo) {
  IoPool pool(8, {std::chrono::microseconds(0),
                  std::chrono::microseconds(0)});  // the leader sleeps as soon as it is idle
  const std::uint64_t sleeps = sleeps_while_bytes_arrive(pool, kEvents, true);
  // The leader wakes for each byte and sleeps again. Were every thread to run the context, the
  // thread that took the byte's completion would first wake another to wait for the next
  // event: two sleeps per event.
  EXPECT_LT(sleeps, kEvents * 3 / 2)
      << sleeps << " sleeps of the pool's threads for " << kEvents << " events";
}

TEST(IoPool, ALeaderThatHasJustServedARequestTakesTheNextWithoutSleeping) {
  // A poll longer than the test: every byte arrives while the leader still polls.
  IoPool pool(8, {std::chrono::seconds(60), std::chrono::seconds(60)});
  const std::uint64_t sleeps = sleeps_while_bytes_arrive(pool, kEvents, true);
  // Were the leader to sleep once idle, it would sleep once per byte, as above.
  EXPECT_LT(sleeps, kEvents / 4) << sleeps << " sleeps of the pool's threads for " << kEvents
                                 << " events";
}

// What a one-thread pool polling within `limits` does with requests that each arrive once its
// thread has stopped polling and blocks in epoll_wait: its poll window before the first request
// and after the last.
struct RequestsAfterSleeps {
  static constexpr int kCount = 5;
  std::chrono::nanoseconds window_before{};
  std::chrono::nanoseconds window_after{};
};
RequestsAfterSleeps requests_after_sleeps(PollWindow::Limits limits) {
  IoPool pool(1, limits);
  RequestsAfterSleeps run;
  bool first = true;
  sleeps_while_bytes_arrive(pool, RequestsAfterSleeps::kCount, true, [&](long reader) {
    const auto until = std::chrono::steady_clock::now() + kBound;
    while (!blocks_in_epoll_wait(reader) && std::chrono::steady_clock::now() < until) {
      std::this_thread::yield();
    }
    ASSERT_TRUE(blocks_in_epoll_wait(reader)) << "the pool's thread never stopped polling";
    if (std::exchange(first, false)) run.window_before = pool.poll_window();
  });
  run.window_after = pool.poll_window();
  return run;
}

TEST(IoPool, ALeaderWhoseRequestsComeFurtherApartThanItsPollPollsLongerUntilItCatchesThem) {
  // Each request comes after the poll ended, well within a ceiling of a minute: a longer poll
  // would have caught it, so each doubles the poll.
  const RequestsAfterSleeps run =
      requests_after_sleeps({std::chrono::microseconds(20), std::chrono::seconds(60)});
  EXPECT_EQ(run.window_after, run.window_before * (1 << RequestsAfterSleeps::kCount));
}

TEST(IoPool, ALeaderPollsNoLongerThanItsCeiling) {
  // The same requests against a ceiling equal to the floor: the poll never grows.
  const RequestsAfterSleeps run =
      requests_after_sleeps({std::chrono::microseconds(20), std::chrono::microseconds(20)});
  EXPECT_EQ(run.window_after, std::chrono::microseconds(20));
}

TEST(IoPool, ALeaderPollsOnlyAfterServingARequest) {
  // A process that only calls out (its I/O takes responses) would burn a core polling for
  // nothing after each of them: after a handler that served no request, the leader that ran it
  // waits for events at once, however long the pool would poll.
  IoPool pool(8, {std::chrono::seconds(60), std::chrono::seconds(60)});
  std::promise<long> ran;
  asio::post(pool.context(), [&] { ran.set_value(::syscall(SYS_gettid)); });
  std::future<long> leader = ran.get_future();
  ASSERT_EQ(leader.wait_for(kBound), std::future_status::ready);
  const long tid = leader.get();
  const auto until = std::chrono::steady_clock::now() + kBound;
  bool waits = false;
  while (!waits && std::chrono::steady_clock::now() < until) {
    waits = IoPool::waits_for_events(tid).value_or(false);
    if (!waits) std::this_thread::yield();
  }
  EXPECT_TRUE(waits) << "the leader did not go back to waiting for events";
  pool.stop();
}

}  // namespace
}  // namespace hatch::rpc

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

// Sends single bytes over a socket that `pool` reads, each once the previous one has been read
// and `gap` has passed, and counts the sleeps of the pool's threads while
// `events` of them arrive. The handler that reads a byte says it served a request when `served`.
std::uint64_t sleeps_while_bytes_arrive(IoPool& pool, int events, bool served,
                                        std::chrono::microseconds gap = {}) {
  asio::local::stream_protocol::socket reader(pool.context());
  asio::local::stream_protocol::socket writer(pool.context());
  asio::local::connect_pair(reader, writer);
  char byte = 0;
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  std::function<void()> read_one = [&] {
    asio::async_read(reader, asio::buffer(&byte, 1),
                     [&](const boost::system::error_code& ec, std::size_t) {
                       if (ec) return;
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
  const auto send_and_wait = [&](int count, std::chrono::microseconds pause) {
    for (int i = 0; i < count; ++i) {
      // The shape of the load, not a wait for anything: the byte is read before the pause.
      if (pause.count() > 0) std::this_thread::sleep_for(pause);
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
  send_and_wait(events, gap);
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

// What a pool polling within `limits` does with 100 requests a millisecond apart: the sleeps of
// its threads, and its poll window at the end.
struct SpacedRequests {
  static constexpr int kCount = 100;
  std::uint64_t sleeps;
  std::chrono::nanoseconds window;
};
SpacedRequests requests_a_millisecond_apart(PollWindow::Limits limits) {
  IoPool pool(8, limits);
  const std::uint64_t sleeps =
      sleeps_while_bytes_arrive(pool, SpacedRequests::kCount, true, std::chrono::milliseconds(1));
  return {sleeps, pool.poll_window()};
}

TEST(IoPool, ALeaderWhoseRequestsComeFurtherApartThanItsPollPollsLongerUntilItCatchesThem) {
  // A poll that starts at 20 us: each sleep the next request ends within the ceiling doubles
  // the poll, until it spans the gap.
  const SpacedRequests run =
      requests_a_millisecond_apart({std::chrono::microseconds(20), std::chrono::seconds(60)});
  EXPECT_LT(run.sleeps, SpacedRequests::kCount / 4)
      << run.sleeps << " sleeps of the pool's threads for " << SpacedRequests::kCount;
  EXPECT_GE(run.window, std::chrono::milliseconds(1));
}

TEST(IoPool, ALeaderPollsNoLongerThanItsCeiling) {
  // A poll that may grow to 100 us only: the leader sleeps before each request, and the poll
  // ends at its floor.
  const SpacedRequests run =
      requests_a_millisecond_apart({std::chrono::microseconds(20), std::chrono::microseconds(100)});
  EXPECT_GE(run.sleeps, SpacedRequests::kCount / 2)
      << run.sleeps << " sleeps of the pool's threads for " << SpacedRequests::kCount;
  EXPECT_EQ(run.window, std::chrono::microseconds(20));
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

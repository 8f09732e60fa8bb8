// The epoll set of rpc::ReadinessSet: a wait ends when its socket is readable, a held wait only
// once it is resumed, and a removed socket's wait ends with operation_aborted.
#include "rpc/readiness_set.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include <gtest/gtest.h>

namespace hatch::rpc {
namespace {

class ReadinessSetTest : public ::testing::Test {
 protected:
  ReadinessSetTest() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds_), 0);
    set_.add(fds_[0]);
  }
  ~ReadinessSetTest() override {
    set_.remove(fds_[0]);
    ::close(fds_[0]);
    ::close(fds_[1]);
  }

  // Starts a wait on the watched end; the future holds its outcome.
  std::future<boost::system::error_code> wait() {
    auto done = std::make_shared<std::promise<boost::system::error_code>>();
    set_.wait_readable(fds_[0],
                       [done](const boost::system::error_code& ec) { done->set_value(ec); });
    return done->get_future();
  }
  void send_byte() { ASSERT_EQ(::write(fds_[1], "x", 1), 1); }
  // Runs the context until nothing is ready to run; says whether `waited` is still pending.
  bool still_pending(std::future<boost::system::error_code>& waited) {
    io_.restart();
    io_.poll();
    return waited.wait_for(std::chrono::seconds(0)) == std::future_status::timeout;
  }
  // Runs the context until a handler has run; says whether `waited` has ended.
  bool ends(std::future<boost::system::error_code>& waited) {
    io_.restart();
    io_.run_one_for(std::chrono::seconds(30));
    return waited.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }

  asio::io_context io_;
  ReadinessSet& set_ = asio::use_service<ReadinessSet>(io_);
  int fds_[2] = {-1, -1};
};

TEST_F(ReadinessSetTest, AWaitEndsWhenItsSocketIsReadable) {
  auto waited = wait();
  EXPECT_TRUE(still_pending(waited));
  send_byte();
  ASSERT_TRUE(ends(waited));
  EXPECT_FALSE(waited.get());
}

TEST_F(ReadinessSetTest, AWaitOnASocketThatHoldsDataEndsAtOnce) {
  send_byte();
  auto waited = wait();
  ASSERT_TRUE(ends(waited));
}

TEST_F(ReadinessSetTest, AHeldWaitEndsOnlyOnceResumed) {
  auto waited = wait();
  set_.hold(fds_[0]);
  send_byte();
  EXPECT_TRUE(still_pending(waited));
  set_.resume(fds_[0]);
  ASSERT_TRUE(ends(waited));
}

TEST_F(ReadinessSetTest, AWaitStartedWhileHeldEndsOnceResumed) {
  auto first = wait();
  send_byte();
  ASSERT_TRUE(ends(first));
  set_.hold(fds_[0]);
  auto second = wait();  // the byte is still there
  EXPECT_TRUE(still_pending(second));
  set_.resume(fds_[0]);
  ASSERT_TRUE(ends(second));
}

TEST_F(ReadinessSetTest, ARemovedSocketsWaitEndsAborted) {
  auto waited = wait();
  set_.remove(fds_[0]);
  EXPECT_FALSE(still_pending(waited));
  EXPECT_EQ(waited.get(), asio::error::operation_aborted);
  set_.add(fds_[0]);
}

// Two waits ready at once, on a context run by two threads: the handler of one waits for the
// other's to run (as a primary's write waits for its backup's answer), which must not wait
// behind it.
TEST_F(ReadinessSetTest, AHandlerThatBlocksHoldsNoOtherReadyWaitBack) {
  int other[2] = {-1, -1};
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, other), 0);
  set_.add(other[0]);
  std::promise<void> other_ran;
  std::shared_future<void> other_done = other_ran.get_future().share();
  std::promise<bool> blocked_saw_it;
  set_.wait_readable(fds_[0], [&](const boost::system::error_code&) {
    blocked_saw_it.set_value(other_done.wait_for(std::chrono::seconds(30)) ==
                             std::future_status::ready);
    io_.stop();
  });
  set_.wait_readable(other[0], [&](const boost::system::error_code&) { other_ran.set_value(); });
  send_byte();
  ASSERT_EQ(::write(other[1], "y", 1), 1);
  std::thread second([this] { io_.run(); });
  std::future<bool> saw = blocked_saw_it.get_future();
  io_.run();
  second.join();
  EXPECT_TRUE(saw.get()) << "the other wait's handler ran only after the blocked one";
  set_.remove(other[0]);
  ::close(other[0]);
  ::close(other[1]);
}

}  // namespace
}  // namespace hatch::rpc

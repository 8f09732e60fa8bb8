#include "rpc/readiness_set.hpp"

#include <sys/epoll.h>

#include <array>
#include <cerrno>
#include <utility>
#include <vector>

namespace hatch::rpc {

namespace {

constexpr std::uint32_t kArmed = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;

int new_epoll_set() {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) {
    throw boost::system::system_error(errno, boost::system::system_category(),
                                      "cannot make the epoll set that watches sockets");
  }
  return fd;
}

boost::system::error_code last_error() {
  return {errno, boost::system::system_category()};
}

}  // namespace

asio::execution_context::id ReadinessSet::id;

ReadinessSet::ReadinessSet(asio::io_context& io)
    : asio::execution_context::service(io),
      epoll_fd_(new_epoll_set()),
      descriptor_(io, epoll_fd_) {}

ReadinessSet::~ReadinessSet() = default;

void ReadinessSet::shutdown() {
  // The handlers hold what they would have run on; the context runs no more of them.
  std::unordered_map<int, Watch> dropped;
  MutexLock lock(mu_);
  dropped.swap(watches_);
}

void ReadinessSet::add(int fd) {
  epoll_event ev{};
  ev.data.fd = fd;  // no events: armed only by a wait
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    throw boost::system::system_error(last_error(), "cannot watch a socket");
  }
  MutexLock lock(mu_);
  watches_[fd];
}

void ReadinessSet::wait_readable(int fd, Done done) {
  boost::system::error_code failed;
  {
    MutexLock lock(mu_);
    auto it = watches_.find(fd);
    if (it == watches_.end()) {
      failed = asio::error::bad_descriptor;
    } else {
      it->second.done = std::move(done);
      if (!it->second.held) arm(it->second, fd);
      return;
    }
  }
  asio::post(descriptor_.get_executor(), [done = std::move(done), failed] { done(failed); });
}

void ReadinessSet::hold(int fd) {
  MutexLock lock(mu_);
  auto it = watches_.find(fd);
  if (it == watches_.end() || it->second.held) return;
  it->second.held = true;
  if (it->second.armed) {
    epoll_event ev{};
    ev.data.fd = fd;
    // Disarmed. Had it fired already, the wait runs as it would have; and were the change to
    // fail, the wait stays armed: either way the wait ends when something can be read.
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0) {
      it->second.armed = false;
      --armed_;
    }
  }
}

void ReadinessSet::resume(int fd) {
  MutexLock lock(mu_);
  auto it = watches_.find(fd);
  if (it == watches_.end() || !it->second.held) return;
  it->second.held = false;
  if (it->second.done) arm(it->second, fd);
}

void ReadinessSet::remove(int fd) {
  Done done;
  {
    MutexLock lock(mu_);
    auto it = watches_.find(fd);
    if (it == watches_.end()) return;
    done = std::move(it->second.done);
    if (it->second.armed) --armed_;
    watches_.erase(it);
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  }
  if (done) {
    asio::post(descriptor_.get_executor(),
               [done = std::move(done)] { done(asio::error::operation_aborted); });
  }
}

void ReadinessSet::arm(Watch& watch, int fd) {
  epoll_event ev{};
  ev.events = kArmed;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0) {
    asio::post(descriptor_.get_executor(),
               [done = std::exchange(watch.done, {}), failed = last_error()] { done(failed); });
    return;
  }
  if (!watch.armed) {
    watch.armed = true;
    ++armed_;
  }
  watch_set();
}

void ReadinessSet::watch_set() {
  if (watching_ || armed_ == 0) return;
  watching_ = true;
  descriptor_.async_wait(asio::posix::stream_descriptor::wait_read,
                         [this](const boost::system::error_code& ec) { on_ready(ec); });
}

void ReadinessSet::on_ready(const boost::system::error_code& ec) {
  if (ec == asio::error::operation_aborted) return;  // the context is shutting down
  std::vector<Done> ready;
  {
    MutexLock lock(mu_);
    watching_ = false;
    std::array<epoll_event, 64> events;
    for (;;) {
      const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 0);
      for (int i = 0; i < n; ++i) {
        auto it = watches_.find(events[static_cast<std::size_t>(i)].data.fd);
        if (it == watches_.end() || !it->second.armed) continue;
        it->second.armed = false;  // one-shot: disarmed by the event
        --armed_;
        if (it->second.done) ready.push_back(std::exchange(it->second.done, {}));
      }
      if (n < static_cast<int>(events.size())) break;
    }
    watch_set();
  }
  // Each handler but the last is posted, so that one that blocks holds no other back; the last
  // runs here, on the thread that the readiness woke.
  if (ready.empty()) return;
  for (std::size_t i = 0; i + 1 < ready.size(); ++i) {
    asio::post(descriptor_.get_executor(), [done = std::move(ready[i])] { done({}); });
  }
  ready.back()({});
}

}  // namespace hatch::rpc

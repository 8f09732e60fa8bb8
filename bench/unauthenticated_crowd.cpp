#include "unauthenticated_crowd.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "rpc/endpoint.hpp"
#include "rpc/frame.hpp"

namespace hatch::bench {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kStopMarker = 0xffffffff;   // the epoll tag of stop_fd
constexpr std::uint32_t kFirstSource = 0x7f000002;  // 127.0.0.2

// What a connection of each kind sends once connected (see the header).
enum class Kind { silent, partial_hello, garbage };
Kind kind_of(std::uint32_t slot) {
  return static_cast<Kind>(slot % 3);
}

}  // namespace

UnauthenticatedCrowd::UnauthenticatedCrowd(CrowdOptions options)
    : options_(std::move(options)), slots_(options_.connections) {
  if (options_.connections == 0 || options_.connections > 100'000) {
    throw std::invalid_argument("crowd: connections must be 1 to 100,000");
  }
  if (options_.sources == 0 || options_.sources > 60'000) {
    throw std::invalid_argument("crowd: sources must be 1 to 60,000");
  }
  if (!(options_.reconnects_per_s > 0)) {
    throw std::invalid_argument("crowd: reconnects per second must be above 0");
  }
  const auto [host, port] = split_address(options_.target);
  in_addr ip{};
  if (::inet_pton(AF_INET, host.c_str(), &ip) != 1) {
    throw std::invalid_argument("crowd: the target must be an IPv4 address: " + options_.target);
  }
  target_ip_ = ip.s_addr;
  target_port_ = htons(port);

  // A hello frame that announces a 64-byte body, of which only the first two bytes come (a
  // msgpack array of five fields, the version): the node waits for the rest.
  rpc::FrameHeader hello;
  hello.kind = rpc::FrameKind::hello;
  partial_hello_ = rpc::encode_head(hello, 64, internal::WireLimits{}) + "\x95\x02";
  // A 32-byte frame of a byte msgpack never uses: malformed from its header on.
  garbage_ = std::string("\0\0\0\x20", 4) + std::string(32, '\xc1');

  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) throw std::runtime_error(std::string("crowd: epoll: ") + std::strerror(errno));
}

UnauthenticatedCrowd::~UnauthenticatedCrowd() {
  for (Slot& s : slots_) {
    if (s.fd >= 0) ::close(s.fd);
  }
  ::close(epoll_);
}

void UnauthenticatedCrowd::run(Clock::time_point until, int stop_fd,
                               const std::function<void(const CrowdCounts&)>& on_ready) {
  epoll_event stop{};
  stop.events = EPOLLIN | EPOLLRDHUP;
  stop.data.u32 = kStopMarker;
  if (stop_fd >= 0) ::epoll_ctl(epoll_, EPOLL_CTL_ADD, stop_fd, &stop);

  for (std::uint32_t i = 0; i < slots_.size(); ++i) open(i);
  const Clock::time_point ready_at_latest = Clock::now() + std::chrono::seconds(2);
  bool ready_told = false;
  // Reopening: a token bucket that holds at most 10 ms of the rate.
  const double burst = std::max(1.0, options_.reconnects_per_s / 100);
  double tokens = 0;
  Clock::time_point refilled = Clock::now();
  std::vector<epoll_event> events(512);
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (now >= until) return;
    tokens = std::min(burst, tokens + std::chrono::duration<double>(now - refilled).count() *
                                          options_.reconnects_per_s);
    refilled = now;
    while (!to_open_.empty() && tokens >= 1) {
      const std::uint32_t slot = to_open_.back();
      to_open_.pop_back();
      open(slot);
      tokens -= 1;
    }
    if (!ready_told) {
      const bool tried_all = std::none_of(
          slots_.begin(), slots_.end(), [](const Slot& s) { return s.state == State::connecting; });
      if (tried_all || now >= ready_at_latest) {
        on_ready(counts_);
        ready_told = true;
      }
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
    const int wait_ms = static_cast<int>(std::min<long long>(to_open_.empty() ? 100 : 1, left));
    const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), wait_ms);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u32 == kStopMarker) return;
      on_event(events[i].data.u32, events[i].events);
    }
  }
}

void UnauthenticatedCrowd::open(std::uint32_t slot) {
  Slot& s = slots_[slot];
  s.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s.fd < 0) {
    throw std::runtime_error(std::string("crowd: cannot make a socket: ") + std::strerror(errno));
  }
  // The port is picked at connect(), per destination, not at bind(): the crowd needs more
  // connections per source address than a bind could reserve ports for otherwise.
  int one = 1;
  ::setsockopt(s.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  from.sin_addr.s_addr = htonl(kFirstSource + static_cast<std::uint32_t>(slot % options_.sources));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = target_ip_;
  to.sin_port = target_port_;
  if (::bind(s.fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      (::connect(s.fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS)) {
    ++counts_.failed_connects;
    ::close(s.fd);
    s.fd = -1;
    to_open_.push_back(slot);
    return;
  }
  s.state = State::connecting;
  epoll_event e{};
  e.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
  e.data.u32 = slot;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, s.fd, &e);
}

void UnauthenticatedCrowd::on_event(std::uint32_t slot, std::uint32_t events) {
  Slot& s = slots_[slot];
  if (s.state == State::connecting) {
    int error = 0;
    socklen_t len = sizeof error;
    ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &error, &len);
    if (error != 0 || (events & (EPOLLERR | EPOLLHUP)) != 0) {
      ++counts_.failed_connects;
      close(slot);
      return;
    }
    s.state = State::open;
    ++counts_.connects;
    counts_.peak_open = std::max(counts_.peak_open, ++counts_.open);
    const std::string* say = kind_of(slot) == Kind::partial_hello ? &partial_hello_
                             : kind_of(slot) == Kind::garbage     ? &garbage_
                                                                  : nullptr;
    if (say != nullptr) ::send(s.fd, say->data(), say->size(), MSG_NOSIGNAL);
    epoll_event e{};
    e.events = EPOLLIN | EPOLLRDHUP;
    e.data.u32 = slot;
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, s.fd, &e);
    return;
  }
  // Open: whatever the node says (a refusal) is dropped; its end of the stream closes ours.
  char sink[512];
  for (;;) {
    const ssize_t n = ::recv(s.fd, sink, sizeof sink, 0);
    if (n > 0) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    ++counts_.closed_by_server;
    --counts_.open;
    close(slot);
    return;
  }
}

void UnauthenticatedCrowd::close(std::uint32_t slot) {
  Slot& s = slots_[slot];
  ::close(s.fd);  // also takes it out of the epoll set
  s.fd = -1;
  s.state = State::closed;
  to_open_.push_back(slot);
}

}  // namespace hatch::bench

#include "raw_peers.hpp"

#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <stdexcept>

#include "loopback_peer.hpp"
#include "rpc/io_pool.hpp"
#include "rpc/poll_window.hpp"

namespace hatch::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Reads for a server that, once it has answered, polls for its next bytes for as long as its
// PollWindow says, and then blocks in recv.
class PollingReader {
 public:
  explicit PollingReader(rpc::PollWindow::Limits limits) : window_(limits) {}

  // Reads at least one byte, at most `cap`; 0 when the peer hung up or failed.
  std::size_t read_some(int fd, char* into, std::size_t cap) {
    for (;;) {
      const bool polling = Clock::now() < poll_until_;
      const ssize_t n = ::recv(fd, into, cap, polling ? MSG_DONTWAIT : 0);
      if (n < 0 && polling && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        ::sched_yield();  // a thread that wants this core has it
        continue;
      }
      if (n <= 0) return 0;
      if (polled_ && !polling) window_.slept(Clock::now() - poll_from_);
      polled_ = false;
      return static_cast<std::size_t>(n);
    }
  }

  bool read_exact(int fd, char* into, std::size_t size) {
    for (std::size_t off = 0; off < size;) {
      const std::size_t n = read_some(fd, into + off, size - off);
      if (n == 0) return false;
      off += n;
    }
    return true;
  }

  // The server has answered, or forwarded: it polls from now on.
  void answered() {
    poll_from_ = Clock::now();
    poll_until_ = poll_from_ + window_.current();
    polled_ = true;
  }

 private:
  rpc::PollWindow window_;
  Clock::time_point poll_from_;
  Clock::time_point poll_until_;
  bool polled_ = false;  // a poll began since the last bytes read
};

bool send_all(int fd, const char* from, std::size_t size) {
  for (std::size_t off = 0; off < size;) {
    const ssize_t n = ::write(fd, from + off, size - off);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

constexpr rpc::PollWindow::Limits kNodePoll{rpc::IoPool::kPollAfterWork, rpc::IoPool::kPollCeiling};
constexpr std::size_t kBuffer = 1 << 20;

void echo(int fd, rpc::PollWindow::Limits limits) {
  PollingReader reader(limits);
  std::vector<char> buf(kBuffer);
  for (;;) {
    const std::size_t n = reader.read_some(fd, buf.data(), buf.size());
    if (n == 0 || !send_all(fd, buf.data(), n)) return;
    reader.answered();
  }
}

}  // namespace

void serve_echo_polling(int fd) {
  echo(fd, kNodePoll);
}

void serve_echo(int fd) {
  echo(fd, {std::chrono::microseconds(0), std::chrono::microseconds(0)});
}

void serve_chain_primary(int fd, const std::vector<std::uint16_t>& backups) {
  std::vector<int> links;
  for (std::uint16_t port : backups) {
    const int link = connect_loopback(port);
    if (link < 0) break;
    links.push_back(link);
  }
  PollingReader reader(kNodePoll);
  std::vector<char> buf(kBuffer);
  std::vector<char> back(kBuffer);
  // Serves until a peer hangs up.
  const auto serve = [&] {
    for (;;) {
      const std::size_t n = reader.read_some(fd, buf.data(), buf.size());
      if (n == 0) return;
      for (int link : links) {
        if (!send_all(link, buf.data(), n)) return;
      }
      reader.answered();
      for (int link : links) {
        if (!reader.read_exact(link, back.data(), n)) return;
      }
      if (!send_all(fd, buf.data(), n)) return;
      reader.answered();
    }
  };
  if (links.size() == backups.size()) serve();
  for (int link : links) ::close(link);
}

void raw_round_trip(int fd, const std::vector<char>& out, std::vector<char>& in,
                    std::chrono::microseconds spin) {
  const std::size_t size = out.size();
  if (!send_all(fd, out.data(), size)) throw std::runtime_error("echo server hung up");
  const auto poll_until = Clock::now() + spin;
  for (std::size_t off = 0; off < size;) {
    const bool polling = spin.count() > 0 && Clock::now() < poll_until;
    const ssize_t n = ::recv(fd, in.data() + off, size - off, polling ? MSG_DONTWAIT : 0);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
      throw std::runtime_error("echo server hung up");
    } else {
      ::sched_yield();  // as Hatch's caller yields between polls
    }
  }
}

}  // namespace hatch::bench

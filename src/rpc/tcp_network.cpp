// TCP streams and acceptors: the Network of real hosts.
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "hatch/internal/mutex.hpp"
#include "rpc/readiness_set.hpp"
#include "rpc/stream.hpp"
#include "rpc/tcp_socket.hpp"

namespace hatch::rpc {

namespace {

// Sends what the socket takes at once from the start of `buffers`; 0 when its window is full.
std::size_t send_now(int fd, std::span<const asio::const_buffer> buffers,
                     boost::system::error_code& ec) {
  std::array<iovec, 64> iov;
  std::size_t count = 0;
  for (const asio::const_buffer& b : buffers) {
    if (count == iov.size()) break;
    iov[count++] = iovec{const_cast<void*>(b.data()), b.size()};
  }
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = count;
  for (;;) {
    const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) ec = {errno, boost::system::system_category()};
    return 0;
  }
}

// The stream of a connection this process accepted. Its requests are read by the I/O threads
// alone: no caller waits on it for a response of its own (a node answers on the connections it
// accepted and calls out on those it dialed). So it stays in Asio's reactor for its whole life,
// registered once, edge-triggered, and a read that must wait costs no system call. Through the
// ReadinessSet each request cost two epoll_ctl calls and a second epoll_wait (docs/decisions.md,
// "Accepted sockets stay in Asio's reactor").
class ServedTcpStream final : public Stream {
 public:
  explicit ServedTcpStream(tcp::socket socket) : socket_(std::move(socket)) {}
  ~ServedTcpStream() override {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  asio::any_io_executor executor() override { return socket_.get_executor(); }
  void async_read_some(asio::mutable_buffer into, Handler done) override {
    socket_.async_read_some(into, std::move(done));
  }
  void async_read(asio::mutable_buffer into, Handler done) override {
    asio::async_read(socket_, into, std::move(done));
  }
  std::size_t write_now(std::span<const asio::const_buffer> buffers,
                        boost::system::error_code& ec) override {
    return send_now(socket_.native_handle(), buffers, ec);
  }
  void async_write(std::span<const asio::const_buffer> buffers, Handler done) override {
    asio::async_write(socket_, buffers, std::move(done));
  }
  void close() override { ::shutdown(socket_.native_handle(), SHUT_RDWR); }

 private:
  tcp::socket socket_;
};

// The stream of a connection this process dialed, on which callers may read their own
// responses: Asio's reactor sees its socket only while an asynchronous read or write is on its
// way. Readability waits go through the context's ReadinessSet, which watches a socket only
// while something waits for it, and reads and writes that never wait are plain system calls.
// See readiness_set.hpp for why.
class TcpStream final : public Stream {
 public:
  TcpStream(asio::io_context& io, tcp::socket socket)
      : readiness_(asio::use_service<ReadinessSet>(io)),
        protocol_(socket.local_endpoint().protocol()),
        socket_(socket.get_executor()) {
    fd_ = socket.release();
    readiness_.add(fd_);
  }
  ~TcpStream() override {
    readiness_.remove(fd_);
    MutexLock lock(mu_);
    if (lent_ == 0) {
      ::close(fd_);
    } else {
      boost::system::error_code ignored;
      socket_.close(ignored);
    }
  }

  asio::any_io_executor executor() override { return socket_.get_executor(); }
  void async_read_some(asio::mutable_buffer into, Handler done) override {
    lend();
    socket_.async_read_some(into, giving_back(std::move(done)));
  }
  void async_read(asio::mutable_buffer into, Handler done) override {
    lend();
    asio::async_read(socket_, into, giving_back(std::move(done)));
  }
  std::size_t write_now(std::span<const asio::const_buffer> buffers,
                        boost::system::error_code& ec) override {
    return send_now(fd_, buffers, ec);
  }
  void async_write(std::span<const asio::const_buffer> buffers, Handler done) override {
    lend();
    asio::async_write(socket_, buffers, giving_back(std::move(done)));
  }
  void close() override { ::shutdown(fd_, SHUT_RDWR); }
  bool reads_directly() const override { return true; }
  std::size_t read_now(asio::mutable_buffer into, boost::system::error_code& ec) override {
    for (;;) {
      const ssize_t n = ::recv(fd_, into.data(), into.size(), MSG_DONTWAIT);
      if (n > 0) return static_cast<std::size_t>(n);
      if (n == 0) {
        if (into.size() > 0) ec = asio::error::eof;
        return 0;
      }
      if (errno == EINTR) continue;
      ec = errno == EAGAIN || errno == EWOULDBLOCK
               ? boost::system::error_code(asio::error::would_block)
               : boost::system::error_code(errno, boost::system::system_category());
      return 0;
    }
  }
  void async_wait_readable(Handler done) override {
    readiness_.wait_readable(
        fd_, [done = std::move(done)](const boost::system::error_code& ec) { done(ec, 0); });
  }
  void hold_waits() override { readiness_.hold(fd_); }
  void resume_waits() override { readiness_.resume(fd_); }

 private:
  // Hands the socket to Asio for an asynchronous operation; the last one to end takes it back.
  void lend() {
    MutexLock lock(mu_);
    if (lent_++ == 0) socket_.assign(protocol_, fd_);
  }
  Handler giving_back(Handler done) {
    return [this, done = std::move(done)](const boost::system::error_code& ec, std::size_t n) {
      {
        MutexLock lock(mu_);
        if (--lent_ == 0) socket_.release();
      }
      done(ec, n);
    };
  }

  ReadinessSet& readiness_;
  const tcp protocol_;
  int fd_ = -1;
  Mutex mu_;
  int lent_ HATCH_GUARDED_BY(mu_) = 0;  // asynchronous operations on their way
  tcp::socket socket_;  // holds fd_ while lent_ > 0; assigned and released under mu_
};

class TcpAcceptor final : public Acceptor {
 public:
  TcpAcceptor(asio::io_context& io, const std::string& address)
      : acceptor_(open_acceptor(io, address)),
        address_(format_endpoint(acceptor_.local_endpoint())) {}

  void async_accept(AcceptHandler done) override {
    acceptor_.async_accept(
        [done = std::move(done)](const boost::system::error_code& ec, tcp::socket socket) {
          if (ec) {
            done(ec, nullptr, {});
            return;
          }
          tune_socket(socket);
          const std::string from = peer_of(socket);
          done(ec, std::make_unique<ServedTcpStream>(std::move(socket)), from);
        });
  }
  std::string address() const override { return address_; }
  void close() override {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }

 private:
  tcp::acceptor acceptor_;
  const std::string address_;
};

class TcpNetwork final : public Network {
 public:
  std::unique_ptr<Stream> connect(asio::io_context& io, const std::string& address,
                                  std::chrono::steady_clock::time_point deadline) override {
    return std::make_unique<TcpStream>(io, dial(io, io.get_executor(), address, deadline));
  }

  std::unique_ptr<Acceptor> listen(asio::io_context& io, const std::string& address) override {
    return std::make_unique<TcpAcceptor>(io, address);
  }
};

}  // namespace

std::shared_ptr<Network> tcp_network() {
  return std::make_shared<TcpNetwork>();
}

}  // namespace hatch::rpc

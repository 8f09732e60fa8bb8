// TCP streams, acceptors and dialing: the Network of real hosts.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <future>

#include "hatch/error.hpp"
#include "rpc/endpoint.hpp"
#include "rpc/stream.hpp"

namespace hatch::rpc {

namespace {

std::string format_endpoint(const tcp::endpoint& ep) {
  const auto ip = ep.address();
  return (ip.is_v6() ? "[" + ip.to_string() + "]" : ip.to_string()) + ":" +
         std::to_string(ep.port());
}

// Keepalive: a peer that vanished without a word (a host that died, a cable pulled) is found
// after about a minute of silence plus five unanswered probes ten seconds apart.
constexpr int kKeepaliveIdleSeconds = 60;
constexpr int kKeepaliveIntervalSeconds = 10;
constexpr int kKeepaliveProbes = 5;

class TcpStream final : public Stream {
 public:
  explicit TcpStream(tcp::socket socket) : socket_(std::move(socket)) {
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    socket_.set_option(asio::socket_base::keep_alive(true), ignored);
    const int fd = socket_.native_handle();
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &kKeepaliveIdleSeconds, sizeof(int));
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &kKeepaliveIntervalSeconds, sizeof(int));
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &kKeepaliveProbes, sizeof(int));
    // Synchronous writes (write_now) return would_block instead of waiting.
    socket_.non_blocking(true, ignored);
  }
  ~TcpStream() override {
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
    const std::size_t n = socket_.write_some(buffers, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
      return 0;
    }
    return n;
  }
  void async_write(std::span<const asio::const_buffer> buffers, Handler done) override {
    asio::async_write(socket_, buffers, std::move(done));
  }
  void close() override {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
  }

 private:
  tcp::socket socket_;
};

class TcpAcceptor final : public Acceptor {
 public:
  TcpAcceptor(asio::io_context& io, const std::string& address) : acceptor_(io) {
    auto [host, port] = split_address(address);
    boost::system::error_code ec;
    auto ip = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
    if (ec) {
      throw UsageError("cannot listen on '" + address + "': '" + host + "' is not an IP address");
    }
    const tcp::endpoint ep(ip, port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw UsageError("cannot listen on " + address + ": " + ec.message());
    address_ = format_endpoint(acceptor_.local_endpoint());
  }

  void async_accept(AcceptHandler done) override {
    acceptor_.async_accept(
        [done = std::move(done)](const boost::system::error_code& ec, tcp::socket socket) {
          if (ec) {
            done(ec, nullptr, {});
            return;
          }
          boost::system::error_code unknown;
          const auto remote = socket.remote_endpoint(unknown);
          done(ec, std::make_unique<TcpStream>(std::move(socket)),
               unknown ? std::string("an unknown peer") : format_endpoint(remote));
        });
  }
  std::string address() const override { return address_; }
  void close() override {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }

 private:
  tcp::acceptor acceptor_;
  std::string address_;
};

class TcpNetwork final : public Network {
 public:
  std::unique_ptr<Stream> connect(asio::io_context& io, const std::string& address,
                                  std::chrono::steady_clock::time_point deadline) override {
    std::pair<std::string, std::uint16_t> hp;
    try {
      hp = split_address(address);
    } catch (const UsageError& e) {
      throw ConnectFailure(StatusCode::unavailable, e.what());
    }
    auto socket = std::make_shared<tcp::socket>(io);
    auto attempt = [socket, hp]() -> asio::awaitable<void> {
      tcp::resolver resolver(socket->get_executor());
      auto results =
          co_await resolver.async_resolve(hp.first, std::to_string(hp.second), asio::use_awaitable);
      co_await asio::async_connect(*socket, results, asio::use_awaitable);
    };
    std::future<void> done = asio::co_spawn(io, attempt, asio::use_future);
    if (done.wait_until(deadline) != std::future_status::ready) {
      asio::post(io, [socket] {
        boost::system::error_code ignored;
        socket->close(ignored);
      });
      done.wait();
      throw ConnectFailure(StatusCode::unavailable,
                           "could not connect to " + address + " before the deadline");
    }
    try {
      done.get();
    } catch (const boost::system::system_error& e) {
      throw ConnectFailure(StatusCode::unavailable,
                           "cannot connect to " + address + ": " + e.code().message());
    }
    return std::make_unique<TcpStream>(std::move(*socket));
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

// TCP streams, acceptors and dialing: the Network of real hosts.
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

class TcpStream final : public Stream {
 public:
  explicit TcpStream(tcp::socket socket) : socket_(std::move(socket)) {
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
  }
  ~TcpStream() override {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  asio::any_io_executor executor() override { return socket_.get_executor(); }
  void async_read_some(asio::mutable_buffer into, ReadHandler done) override {
    socket_.async_read_some(into, std::move(done));
  }
  void read(asio::mutable_buffer into, boost::system::error_code& ec) override {
    asio::read(socket_, into, ec);
  }
  void write(std::span<const asio::const_buffer> buffers, boost::system::error_code& ec) override {
    asio::write(socket_, buffers, ec);
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

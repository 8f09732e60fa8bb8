// TCP streams and acceptors: the Network of real hosts.
#include "rpc/stream.hpp"
#include "rpc/tcp_socket.hpp"

namespace hatch::rpc {

namespace {

class TcpStream final : public Stream {
 public:
  explicit TcpStream(tcp::socket socket) : socket_(std::move(socket)) {
    // Synchronous writes (write_now) return would_block instead of waiting.
    boost::system::error_code ignored;
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
  bool reads_directly() const override { return true; }
  std::size_t read_now(asio::mutable_buffer into, boost::system::error_code& ec) override {
    const std::size_t n = socket_.read_some(into, ec);
    if (ec == asio::error::try_again) ec = asio::error::would_block;
    return n;
  }
  void async_wait_readable(Handler done) override {
    socket_.async_wait(
        tcp::socket::wait_read,
        [done = std::move(done)](const boost::system::error_code& ec) { done(ec, 0); });
  }

 private:
  tcp::socket socket_;
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
          done(ec, std::make_unique<TcpStream>(std::move(socket)), from);
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
    return std::make_unique<TcpStream>(dial(io, io.get_executor(), address, deadline));
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

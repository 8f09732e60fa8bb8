#include "rpc/tcp_socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <future>
#include <memory>

#include "hatch/error.hpp"
#include "rpc/endpoint.hpp"
#include "rpc/io_pool.hpp"
#include "rpc/stream.hpp"

namespace hatch::rpc {

namespace {
constexpr int kKeepaliveIdleSeconds = 60;
constexpr int kKeepaliveIntervalSeconds = 10;
constexpr int kKeepaliveProbes = 5;
}  // namespace

std::string format_endpoint(const tcp::endpoint& endpoint) {
  const auto ip = endpoint.address();
  return (ip.is_v6() ? "[" + ip.to_string() + "]" : ip.to_string()) + ":" +
         std::to_string(endpoint.port());
}

std::string peer_of(const tcp::socket& socket) {
  boost::system::error_code unknown;
  const auto remote = socket.remote_endpoint(unknown);
  return unknown ? std::string("an unknown peer") : format_endpoint(remote);
}

void close_on_exec(int fd) {
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

void tune_socket(tcp::socket& socket) {
  close_on_exec(socket.native_handle());
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  socket.set_option(asio::socket_base::keep_alive(true), ignored);
  const int fd = socket.native_handle();
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &kKeepaliveIdleSeconds, sizeof(int));
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &kKeepaliveIntervalSeconds, sizeof(int));
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &kKeepaliveProbes, sizeof(int));
}

tcp::socket dial(asio::io_context& io, const asio::any_io_executor& executor,
                 const std::string& address, std::chrono::steady_clock::time_point deadline) {
  std::pair<std::string, std::uint16_t> hp;
  try {
    hp = split_address(address);
  } catch (const UsageError& e) {
    throw ConnectFailure(StatusCode::unavailable, e.what());
  }
  auto socket = std::make_shared<tcp::socket>(executor);
  auto attempt = [socket, hp]() -> asio::awaitable<void> {
    tcp::resolver resolver(socket->get_executor());
    auto results =
        co_await resolver.async_resolve(hp.first, std::to_string(hp.second), asio::use_awaitable);
    co_await asio::async_connect(*socket, results, asio::use_awaitable);
  };
  std::future<void> done = asio::co_spawn(io, attempt, asio::use_future);
  IoPool::step_aside();  // the pool's leader, if this is it, runs the connect
  if (done.wait_until(deadline) != std::future_status::ready) {
    // The attempt owns what it uses: it ends on its own, or with the context should it never
    // run again (a pool shutting down), and this does not wait for it.
    asio::post(socket->get_executor(), [socket] {
      boost::system::error_code ignored;
      socket->close(ignored);
    });
    throw ConnectFailure(StatusCode::unavailable, "could not connect before the deadline");
  }
  try {
    done.get();
  } catch (const boost::system::system_error& e) {
    throw ConnectFailure(StatusCode::unavailable, "cannot connect: " + e.code().message());
  }
  tune_socket(*socket);
  return std::move(*socket);
}

tcp::acceptor open_acceptor(asio::io_context& io, const std::string& address) {
  tcp::acceptor acceptor(io);
  auto [host, port] = split_address(address);
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) {
    throw UsageError("cannot listen on '" + address + "': '" + host + "' is not an IP address");
  }
  const tcp::endpoint ep(ip, port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) close_on_exec(acceptor.native_handle());
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw UsageError("cannot listen on " + address + ": " + ec.message());
  return acceptor;
}

}  // namespace hatch::rpc

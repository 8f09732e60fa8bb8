#include "ops/metrics_server.hpp"

#include <string_view>
#include <thread>
#include <utility>

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>
#include <boost/asio/redirect_error.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/metrics.hpp"
#include "hatch/error.hpp"
#include "rpc/asio.hpp"
#include "rpc/endpoint.hpp"
#include "rpc/log_limiter.hpp"

namespace hatch::ops {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using Response = http::response<http::string_body>;

constexpr auto kAwait = asio::use_awaitable;

Response answer(http::status status, std::string body, std::string_view type = "text/plain") {
  Response res(status, 11);
  res.set(http::field::content_type, beast::string_view(type.data(), type.size()));
  res.body() = std::move(body);
  return res;
}

tcp::endpoint endpoint_of(asio::io_context& io, const std::string& address) {
  const auto [host, port] = rpc::split_address(address);
  boost::system::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(host, ec);
  if (!ec) return {ip, port};
  tcp::resolver resolver(io);
  const auto found = resolver.resolve(host, std::to_string(port), ec);
  if (ec || found.empty()) {
    throw UsageError("metrics: cannot listen on '" + address +
                     "': " + (ec ? ec.message() : std::string("the host has no address")));
  }
  return found.begin()->endpoint();
}

std::string to_address(const tcp::endpoint& e) {
  const std::string ip = e.address().to_string();
  return (e.address().is_v6() ? "[" + ip + "]" : ip) + ":" + std::to_string(e.port());
}

}  // namespace

struct MetricsServer::Impl {
  Impl(std::shared_ptr<internal::Metrics> m, MetricsServerLimits l)
      : metrics(std::move(m)), limits(l) {}

  const std::shared_ptr<internal::Metrics> metrics;
  const MetricsServerLimits limits;
  // Connections being served; touched only on the server's thread. Declared before io_, whose
  // destructor ends the sessions still open.
  std::size_t open = 0;
  rpc::LogLimiter refuse_log{std::chrono::seconds(1)};
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::string address;
  std::thread thread;

  Response route(const http::request<http::string_body>& req) const {
    const beast::string_view target = req.target();  // Boost's string_view, not std's
    std::string_view path(target.data(), target.size());
    path = path.substr(0, path.find('?'));
    if (path != "/metrics") return answer(http::status::not_found, "not found: try /metrics\n");
    if (req.method() != http::verb::get) {
      Response res = answer(http::status::method_not_allowed, "only GET is served here\n");
      res.set(http::field::allow, "GET");
      return res;
    }
    const prometheus::TextSerializer serializer;
    return answer(http::status::ok, serializer.Serialize(metrics->registry().Collect()),
                  "text/plain; version=0.0.4; charset=utf-8");
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    struct Leave {
      std::size_t& open;
      ~Leave() { --open; }
    } leave{open};
    beast::tcp_stream stream(std::move(socket));
    // One deadline for the whole exchange: a client that sends slowly, or reads slowly, is
    // closed when it passes, and its operation ends with beast::error::timeout.
    stream.expires_after(limits.request_deadline);
    beast::flat_buffer buffer(limits.max_header_bytes);
    // A body is read (within the same bound) only so that a POST is answered 405, not 400.
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_header_bytes);
    boost::system::error_code ec;
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(kAwait, ec));
    Response res;
    if (!ec) {
      res = route(parser.get());
    } else if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
               ec != http::error::end_of_stream) {
      res = answer(http::status::bad_request, "bad request: " + ec.message() + "\n");
    } else {
      co_return;  // the client left, or its time ran out: nothing to answer
    }
    res.keep_alive(false);
    res.prepare_payload();
    co_await http::async_write(stream, res, asio::redirect_error(kAwait, ec));
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  asio::awaitable<void> accept_loop() {
    asio::steady_timer backoff(io);
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(kAwait, ec));
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) {
        // Most often no descriptor is left (EMFILE): retrying at once would spin.
        if (auto n = refuse_log.admit()) {
          spdlog::warn("metrics {}: accept failed {} time(s): {}", address, *n, ec.message());
        }
        backoff.expires_after(std::chrono::milliseconds(100));
        co_await backoff.async_wait(asio::redirect_error(kAwait, ec));
        continue;
      }
      if (open >= limits.max_connections) {
        if (auto n = refuse_log.admit()) {
          spdlog::warn("metrics {}: closed a client: {} are served already ({} closed like it)",
                       address, limits.max_connections, *n);
        }
        socket.close(ec);
        continue;
      }
      ++open;
      asio::co_spawn(io, serve(std::move(socket)), asio::detached);
    }
  }
};

MetricsServer::MetricsServer(std::shared_ptr<internal::Metrics> metrics, const std::string& address,
                             MetricsServerLimits limits)
    : impl_(std::make_unique<Impl>(std::move(metrics), limits)) {
  Impl& s = *impl_;
  try {
    const tcp::endpoint at = endpoint_of(s.io, address);
    s.acceptor.open(at.protocol());
    s.acceptor.set_option(tcp::acceptor::reuse_address(true));
    s.acceptor.bind(at);
    s.acceptor.listen();
    s.address = to_address(s.acceptor.local_endpoint());
  } catch (const boost::system::system_error& e) {
    throw UsageError("metrics: cannot listen on '" + address + "': " + e.code().message());
  }
  asio::co_spawn(s.io, s.accept_loop(), asio::detached);
  s.thread = std::thread([&s] { s.io.run(); });
}

MetricsServer::~MetricsServer() {
  asio::post(impl_->io, [this] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    impl_->io.stop();
  });
  impl_->thread.join();
}

const std::string& MetricsServer::address() const noexcept {
  return impl_->address;
}

}  // namespace hatch::ops

#include "ops/http_get.hpp"

#include <stdexcept>
#include <utility>

#include <boost/asio/redirect_error.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "rpc/asio.hpp"
#include "rpc/endpoint.hpp"

namespace hatch::ops {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

constexpr auto kAwait = asio::use_awaitable;

// One exchange's inputs and outcome. A plain function, not a lambda: GCC 12 miscompiles
// temporaries inside co_await in lambda coroutines.
struct Exchange {
  std::string host;
  std::string port;
  std::string target;
  std::string token;
  std::chrono::milliseconds timeout;
  std::size_t max_body_bytes;
  HttpGetReply reply;
  std::string failure;  // "connect: Connection refused"; empty on success
};

asio::awaitable<void> run(asio::io_context& io, Exchange& x) {
  boost::system::error_code ec;
  const auto failed = [&](const char* what) {
    if (ec) x.failure = std::string(what) + ": " + ec.message();
    return static_cast<bool>(ec);
  };
  tcp::resolver resolver(io);
  const auto found =
      co_await resolver.async_resolve(x.host, x.port, asio::redirect_error(kAwait, ec));
  if (failed("resolve")) co_return;
  beast::tcp_stream stream(io);
  stream.expires_after(x.timeout);
  co_await stream.async_connect(found, asio::redirect_error(kAwait, ec));
  if (failed("connect")) co_return;
  http::request<http::empty_body> req(http::verb::get, x.target, 11);
  req.set(http::field::host, x.host);
  if (!x.token.empty()) req.set(http::field::authorization, "Bearer " + x.token);
  co_await http::async_write(stream, req, asio::redirect_error(kAwait, ec));
  if (failed("send")) co_return;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(x.max_body_bytes);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(kAwait, ec));
  if (ec == beast::error::timeout) ec = asio::error::timed_out;
  if (failed("read the answer")) co_return;
  x.reply.status = static_cast<int>(parser.get().result_int());
  x.reply.body = std::move(parser.get().body());
}

}  // namespace

HttpGetReply http_get(const std::string& address, const std::string& target,
                      const std::string& token, std::chrono::milliseconds timeout,
                      std::size_t max_body_bytes) {
  const auto [host, port] = split_address(address);
  Exchange x{host, std::to_string(port), target, token, timeout, max_body_bytes, {}, {}};
  asio::io_context io{1};
  asio::co_spawn(io, run(io, x), asio::detached);
  io.run();
  if (!x.failure.empty())
    throw std::runtime_error("GET http://" + address + target + ": " + x.failure);
  return x.reply;
}

}  // namespace hatch::ops

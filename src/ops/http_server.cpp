#include "ops/http_server.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>
#include <utility>

#include <openssl/crypto.h>

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
#include "rpc/private_file.hpp"
#include "rpc/tcp_socket.hpp"

namespace hatch::ops {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using Response = http::response<http::string_body>;

constexpr auto kAwait = asio::use_awaitable;
constexpr std::string_view kTokenCharacters =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

Response answer(http::status status, std::string body,
                std::string_view type = "text/plain; charset=utf-8") {
  Response res(status, 11);
  res.set(http::field::content_type, beast::string_view(type.data(), type.size()));
  res.body() = std::move(body);
  return res;
}

tcp::endpoint endpoint_of(asio::io_context& io, const std::string& address) {
  const auto [host, port] = split_address(address);
  boost::system::error_code ec;
  const asio::ip::address ip = asio::ip::make_address(host, ec);
  if (!ec) return {ip, port};
  tcp::resolver resolver(io);
  const auto found = resolver.resolve(host, std::to_string(port), ec);
  if (ec || found.empty()) {
    throw UsageError("http: cannot listen on '" + address +
                     "': " + (ec ? ec.message() : std::string("the host has no address")));
  }
  return found.begin()->endpoint();
}

std::string to_address(const tcp::endpoint& e) {
  const std::string ip = e.address().to_string();
  return (e.address().is_v6() ? "[" + ip + "]" : ip) + ":" + std::to_string(e.port());
}

bool valid_token(std::string_view token) {
  return !token.empty() && token.find_first_not_of(kTokenCharacters) == std::string_view::npos;
}

// Compares in time that does not depend on where the two first differ.
bool same_token(std::string_view given, const std::string& token) {
  return given.size() == token.size() &&
         CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
}

}  // namespace

std::optional<std::string> HttpRequest::query_value(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return std::string(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

HttpRoutes metrics_routes(std::shared_ptr<internal::Metrics> metrics) {
  HttpRoutes routes;
  routes["/metrics"] = [metrics = std::move(metrics)](const HttpRequest&) {
    metrics->scraped();
    const prometheus::TextSerializer serializer;
    return HttpReply{200, "text/plain; version=0.0.4; charset=utf-8",
                     serializer.Serialize(metrics->registry().Collect())};
  };
  return routes;
}

std::string read_token_file(const std::string& path) {
  rpc::refuse_shared_file(path, "the HTTP token file");
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read the HTTP token file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  const auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  token.erase(std::find_if_not(token.rbegin(), token.rend(), space).base(), token.end());
  token.erase(token.begin(), std::find_if_not(token.begin(), token.end(), space));
  if (!valid_token(token)) {
    throw UsageError("the HTTP token file '" + path +
                     "' must hold one token of letters, digits and -._~ (make one with: "
                     "openssl rand -hex 32 > " +
                     path + ")");
  }
  return token;
}

struct HttpServer::Impl {
  Impl(HttpRoutes r, HttpServerOptions o) : routes(std::move(r)), options(std::move(o)) {}

  const HttpRoutes routes;
  const HttpServerOptions options;
  // Connections being served; touched only on the server's thread. Declared before io_, whose
  // destructor ends the sessions still open.
  std::size_t open = 0;
  rpc::LogLimiter refuse_log{std::chrono::seconds(1)};
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::string address;
  std::thread thread;

  bool authorized(const http::request<http::string_body>& req, const HttpRequest& asked) const {
    if (options.token.empty()) return true;
    const beast::string_view header = req[http::field::authorization];
    constexpr std::string_view bearer = "Bearer ";
    if (std::string_view(header.data(), header.size()).substr(0, bearer.size()) == bearer &&
        same_token(std::string_view(header.data(), header.size()).substr(bearer.size()),
                   options.token)) {
      return true;
    }
    const std::optional<std::string> in_query = asked.query_value("token");
    return in_query && same_token(*in_query, options.token);
  }

  Response route(const http::request<http::string_body>& req) const {
    const beast::string_view target = req.target();  // Boost's string_view, not std's
    const std::string_view whole(target.data(), target.size());
    const std::size_t mark = whole.find('?');
    HttpRequest asked{
        std::string(whole.substr(0, mark)),
        mark == std::string_view::npos ? std::string() : std::string(whole.substr(mark + 1))};
    if (req.method() != http::verb::get) {
      Response res = answer(http::status::method_not_allowed, "only GET is served here\n");
      res.set(http::field::allow, "GET");
      return res;
    }
    if (asked.path == "/healthz") return answer(http::status::ok, "ok\n");
    if (!authorized(req, asked)) {
      Response res = answer(http::status::unauthorized,
                            "a token is required: send 'Authorization: Bearer TOKEN' or add "
                            "?token=TOKEN\n");
      res.set(http::field::www_authenticate, "Bearer");
      return res;
    }
    const auto handler = routes.find(asked.path);
    if (handler == routes.end()) {
      std::string paths;
      for (const auto& [path, _] : routes) paths += " " + path;
      return answer(http::status::not_found,
                    "not found: " + asked.path + "; served:" + paths + "\n");
    }
    try {
      HttpReply reply = handler->second(asked);
      return answer(static_cast<http::status>(reply.status), std::move(reply.body),
                    reply.content_type);
    } catch (const UsageError& e) {
      return answer(http::status::bad_request, std::string("bad request: ") + e.what() + "\n");
    } catch (const std::exception& e) {
      return answer(http::status::internal_server_error,
                    "could not answer " + asked.path + ": " + e.what() + "\n");
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    struct Leave {
      std::size_t& open;
      ~Leave() { --open; }
    } leave{open};
    beast::tcp_stream stream(std::move(socket));
    // One deadline for the whole exchange: a client that sends slowly, or reads slowly, is
    // closed when it passes, and its operation ends with beast::error::timeout.
    stream.expires_after(options.request_deadline);
    beast::flat_buffer buffer(options.max_header_bytes);
    // A body is read (within the same bound) only so that a POST is answered 405, not 400.
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(options.max_header_bytes);
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
          spdlog::warn("http {}: accept failed {} time(s): {}", address, *n, ec.message());
        }
        backoff.expires_after(std::chrono::milliseconds(100));
        co_await backoff.async_wait(asio::redirect_error(kAwait, ec));
        continue;
      }
      if (open >= options.max_connections) {
        if (auto n = refuse_log.admit()) {
          spdlog::warn("http {}: closed a client: {} are served already ({} closed like it)",
                       address, options.max_connections, *n);
        }
        socket.close(ec);
        continue;
      }
      ++open;
      asio::co_spawn(io, serve(std::move(socket)), asio::detached);
    }
  }
};

HttpServer::HttpServer(const std::string& address, HttpRoutes routes, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(routes), std::move(options))) {
  Impl& s = *impl_;
  if (!s.options.token.empty() && !valid_token(s.options.token)) {
    throw UsageError("http: the token for '" + address +
                     "' may hold only letters, digits and -._~");
  }
  try {
    const tcp::endpoint at = endpoint_of(s.io, address);
    if (s.options.token.empty() && !at.address().is_loopback()) {
      throw UsageError("http: '" + address +
                       "' is not a loopback address, so a token is required to serve there "
                       "(--hatch-http-token-file FILE, or http_token_file in the config file)");
    }
    s.acceptor.open(at.protocol());
    rpc::close_on_exec(s.acceptor.native_handle());
    s.acceptor.set_option(tcp::acceptor::reuse_address(true));
    s.acceptor.bind(at);
    s.acceptor.listen();
    s.address = to_address(s.acceptor.local_endpoint());
  } catch (const boost::system::system_error& e) {
    throw UsageError("http: cannot listen on '" + address + "': " + e.code().message());
  }
  asio::co_spawn(s.io, s.accept_loop(), asio::detached);
  s.thread = std::thread([&s] { s.io.run(); });
}

HttpServer::~HttpServer() {
  asio::post(impl_->io, [this] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    impl_->io.stop();
  });
  impl_->thread.join();
}

const std::string& HttpServer::address() const noexcept {
  return impl_->address;
}

}  // namespace hatch::ops

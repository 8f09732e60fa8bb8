#include "frontend.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <cstdio>
#include <list>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "accept_encoding.hpp"
#include "beast.hpp"
#include "content_type.hpp"
#include "hatch/error.hpp"

namespace hatch::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

tcp::endpoint parse_listen(const std::string& listen) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("listen address needs host:port");
  boost::system::error_code ec;
  const asio::ip::address host = asio::ip::make_address(listen.substr(0, colon), ec);
  if (ec) throw std::runtime_error("listen host must be an IP address: " + listen);
  const unsigned long port = std::stoul(listen.substr(colon + 1));
  if (port > 65535) throw std::runtime_error("bad port in " + listen);
  return {host, static_cast<unsigned short>(port)};
}

void set_timeouts(int fd, std::chrono::seconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count());
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

using Response = http::response<http::string_body>;

Response plain(http::status status, const std::string& message, unsigned version) {
  Response res{status, version};
  res.set(http::field::server, "hatch-webserver");
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.body() = message + "\n";
  res.keep_alive(false);
  res.prepare_payload();
  return res;
}

}  // namespace

struct Frontend::Impl {
  Impl(Ref<RequestHandler> h, FrontendOptions o)
      : handler(std::move(h)), options(std::move(o)), acceptor(io) {
    const tcp::endpoint endpoint = parse_listen(options.listen);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    boost::system::error_code ec;
    acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("cannot listen on " + options.listen + ": " + ec.message());
    const tcp::endpoint bound = acceptor.local_endpoint();
    address = bound.address().to_string() + ":" + std::to_string(bound.port());
    accept_thread = std::thread([this] { accept_loop(); });
  }

  // One connection: its thread, and its socket's descriptor while the socket is open.
  struct Connection {
    std::thread thread;
    int fd = -1;  // guarded by mu; -1 once the session has finished with it
    bool done = false;
  };

  void accept_loop() {
    while (!stopping.load()) {
      tcp::socket socket(io);
      boost::system::error_code ec;
      acceptor.accept(socket, ec);
      if (stopping.load()) return;
      if (ec) continue;
      set_timeouts(socket.native_handle(), options.idle_timeout);
      std::unique_lock lock(mu);
      reap_finished();
      if (connections.size() >= options.max_connections) {
        lock.unlock();
        http::write(socket, plain(http::status::service_unavailable, "too many connections", 11),
                    ec);
        continue;
      }
      Connection& c = connections.emplace_back();
      c.fd = socket.native_handle();
      c.thread = std::thread([this, &c, s = std::move(socket)]() mutable { session(c, s); });
    }
  }

  // Joins the threads of finished connections. Requires mu.
  void reap_finished() {
    for (auto it = connections.begin(); it != connections.end();) {
      if (!it->done) {
        ++it;
        continue;
      }
      it->thread.join();
      it = connections.erase(it);
    }
  }

  void session(Connection& c, tcp::socket& socket) {
    serve(socket);
    linger_close(socket);
    std::lock_guard lock(mu);
    c.fd = -1;
    boost::system::error_code ignored;
    socket.close(ignored);
    c.done = true;
  }

  // Ends the connection so that the client reads our last answer: closing a socket with unread
  // input (the rest of a refused request) would reset the connection and could discard the
  // answer before the client reads it. So: stop sending, then read what the client still sends,
  // up to 1 MiB, until it closes (or the idle timeout passes).
  static void linger_close(tcp::socket& socket) {
    boost::system::error_code ec;
    socket.shutdown(tcp::socket::shutdown_send, ec);
    char sink[4096];
    for (std::size_t drained = 0; !ec && drained < (1u << 20);) {
      drained += socket.read_some(asio::buffer(sink), ec);
    }
  }

  void serve(tcp::socket& socket) {
    beast::flat_buffer buffer;
    while (!stopping.load()) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
      parser.body_limit(options.max_body_bytes);
      beast::error_code ec;
      http::read(socket, buffer, parser, ec);
      if (ec == http::error::end_of_stream || ec == asio::error::eof) return;
      if (ec == http::error::body_limit) {
        http::write(socket, plain(http::status::payload_too_large, "body too large", 11), ec);
        return;
      }
      if (ec == http::error::header_limit) {
        http::write(socket,
                    plain(http::status::request_header_fields_too_large, "header too large", 11),
                    ec);
        return;
      }
      if (ec) {
        // A timeout or a reset has no one to answer; anything else was a malformed request.
        if (parser.got_some() && ec != asio::error::would_block && ec != asio::error::try_again &&
            ec != asio::error::connection_reset) {
          http::write(socket, plain(http::status::bad_request, "malformed request", 11), ec);
        }
        return;
      }
      const http::request<http::string_body>& req = parser.get();
      Response res = respond(req);
      if (req.method() == http::verb::head) {
        http::response_serializer<http::string_body> head(res);
        http::write_header(socket, head, ec);
      } else {
        http::write(socket, res, ec);
      }
      if (ec || !res.keep_alive()) return;
    }
  }

  Response respond(const http::request<http::string_body>& req) {
    if (req.version() != 10 && req.version() != 11) {
      return plain(http::status::http_version_not_supported, "HTTP/1.0 or 1.1 only", 11);
    }
    const beast::string_view target = req.target();
    const beast::string_view path = target.substr(0, target.find('?'));
    WebRequest request{std::string(req.method_string()), std::string(path),
                       negotiate_coding(std::string_view(req[http::field::accept_encoding].data(),
                                                         req[http::field::accept_encoding].size())),
                       req.body()};
    WebResponse answer;
    try {
      answer = handler->handle(request);
    } catch (const RemoteError& e) {
      std::fprintf(stderr, "webserver: %s %s: %s\n", request.method.c_str(), request.path.c_str(),
                   e.what());
      return plain(http::status::service_unavailable, "a component is unavailable", req.version());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "webserver: %s %s: %s\n", request.method.c_str(), request.path.c_str(),
                   e.what());
      return plain(http::status::internal_server_error, "internal error", req.version());
    }
    Response res{static_cast<http::status>(answer.status), req.version()};
    res.set(http::field::server, "hatch-webserver");
    if (!answer.content_type.empty()) {
      res.set(http::field::content_type, answer.content_type);
      if (answer.status == 200 && is_compressible(answer.content_type)) {
        res.set(http::field::vary, "Accept-Encoding");
      }
    }
    if (!answer.content_encoding.empty()) {
      res.set(http::field::content_encoding, answer.content_encoding);
    }
    res.body() = std::move(answer.body);
    res.keep_alive(req.keep_alive());
    // A 204 carries no body and, by RFC 9110, no Content-Length.
    if (res.result() != http::status::no_content) res.prepare_payload();
    return res;
  }

  void stop() {
    if (stopping.exchange(true)) return;
    ::shutdown(acceptor.native_handle(), SHUT_RDWR);
    accept_thread.join();
    std::list<Connection> all;
    {
      std::lock_guard lock(mu);
      for (Connection& c : connections) {
        if (c.fd >= 0) ::shutdown(c.fd, SHUT_RDWR);
      }
      // List nodes keep their addresses, so the sessions' references stay valid.
      all.swap(connections);
    }
    // Sessions end on their own now; each takes mu once at its end, so join without it.
    for (Connection& c : all) c.thread.join();
  }

  Ref<RequestHandler> handler;
  const FrontendOptions options;
  asio::io_context io;
  tcp::acceptor acceptor;
  std::string address;
  std::atomic<bool> stopping{false};
  std::thread accept_thread;
  std::mutex mu;
  std::list<Connection> connections;  // guarded by mu
};

Frontend::Frontend(Ref<RequestHandler> handler, FrontendOptions options)
    : impl_(std::make_unique<Impl>(std::move(handler), std::move(options))) {}

Frontend::~Frontend() {
  stop();
}

const std::string& Frontend::address() const noexcept {
  return impl_->address;
}

void Frontend::stop() {
  impl_->stop();
}

}  // namespace hatch::web

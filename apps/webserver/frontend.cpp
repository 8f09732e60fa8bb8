// How the deadlines work: each connection has its thread (a handler call blocks it) and its own
// io_context, and its session runs one asynchronous operation at a time on that io_context with
// run(). The socket is a beast::tcp_stream, whose expiry bounds asynchronous operations only:
// when it passes, Beast closes the socket and the operation ends with error::timeout.
//
// Thread safety: a Connection's io_context and stream are used by its session thread alone; the
// accept thread hands them over before the session starts, and stop() reaches them only through
// asio::post onto that io_context, which runs on the session thread. `connections`, `finished`
// and each `done` are guarded by `mu`. A reaper thread joins each session's thread once it is
// done and frees its Connection.
#include "frontend.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <list>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "accept_encoding.hpp"
#include "beast.hpp"
#include "content_type.hpp"
#include "hatch/error.hpp"
#include "hatch/memory_budget.hpp"

namespace hatch::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

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

const FrontendOptions& checked(const FrontendOptions& o) {
  using std::chrono::milliseconds;
  if (o.header_deadline <= milliseconds(0) || o.body_deadline <= milliseconds(0) ||
      o.request_deadline <= milliseconds(0)) {
    throw std::invalid_argument("frontend: every deadline must be above zero");
  }
  if (o.max_inflight_body_bytes < o.max_body_bytes) {
    throw std::invalid_argument(
        "frontend: max_inflight_body_bytes is below max_body_bytes, so the largest bodies would "
        "always be refused");
  }
  return o;
}

using Request = http::request<http::string_body>;
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
  Impl(Ref<RequestHandler> h, const FrontendOptions& o)
      : handler(std::move(h)),
        options(checked(o)),
        budget(options.max_inflight_body_bytes),
        acceptor(io) {
    const tcp::endpoint endpoint = parse_listen(options.listen);
    protocol = endpoint.protocol();
    acceptor.open(protocol);
    acceptor.set_option(asio::socket_base::reuse_address(true));
    boost::system::error_code ec;
    acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("cannot listen on " + options.listen + ": " + ec.message());
    const tcp::endpoint bound = acceptor.local_endpoint();
    address = bound.address().to_string() + ":" + std::to_string(bound.port());
    accept_thread = std::thread([this] { accept_loop(); });
    reap_thread = std::thread([this] { reap_loop(); });
  }

  // One connection: its io_context, its socket and its thread.
  struct Connection {
    // Runs one asynchronous operation, started by `start(handler)`, to its end on the calling
    // thread, and returns the bytes it transferred.
    template <class Start>
    std::size_t run(beast::error_code& ec, Start start) {
      std::size_t bytes = 0;
      start([&](beast::error_code e, std::size_t n) {
        ec = e;
        bytes = n;
      });
      io.restart();
      io.run();
      return bytes;
    }

    asio::io_context io;
    beast::tcp_stream stream{io};
    std::thread thread;
    bool done = false;  // guarded by mu
  };

  void accept_loop() {
    while (!stopping.load()) {
      // A connection's io_context is made once a client is there, so that none waits for the
      // next client with descriptors of its own.
      tcp::socket socket(io);
      boost::system::error_code ec;
      acceptor.accept(socket, ec);
      if (stopping.load()) return;
      std::list<Connection> accepted;  // spliced into `connections` if it gets a slot
      if (!ec) {
        try {
          Connection& fresh = accepted.emplace_back();
          const int fd = socket.release(ec);
          if (!ec) fresh.stream.socket().assign(protocol, fd, ec);
          if (ec) ::close(fd);
        } catch (const boost::system::system_error& e) {
          ec = e.code();  // no descriptor left for the connection's io_context
        }
      }
      std::unique_lock lock(mu);
      if (ec) {
        // Out of descriptors or memory (Asio retries the rest itself): accepting again at once
        // would fail again, so wait until a connection ends and gives its descriptors back.
        connection_ended.wait_for(lock, std::chrono::milliseconds(100));
        continue;
      }
      Connection& c = accepted.front();
      // A finished session that the reaper has not joined yet holds no slot: its client has seen
      // the end, and may be the one coming back.
      if (connections.size() - finished >= options.max_connections) {
        lock.unlock();
        http::write(c.stream.socket(),
                    plain(http::status::service_unavailable, "too many connections", 11), ec);
        continue;
      }
      connections.splice(connections.end(), accepted);
      c.thread = std::thread([this, &c] { session(c); });
    }
  }

  // Joins the threads of finished connections as they finish, and frees their descriptors,
  // stacks and buffers, whether or not another client comes.
  void reap_loop() {
    std::unique_lock lock(mu);
    while (!stopping.load()) {
      connection_ended.wait(lock, [this] { return stopping.load() || finished > 0; });
      std::list<Connection> reaped;
      for (auto it = connections.begin(); it != connections.end();) {
        auto next = std::next(it);
        if (it->done) reaped.splice(reaped.end(), connections, it);
        it = next;
      }
      finished = 0;
      reaping = reaped.size();
      lock.unlock();
      // A finished session takes mu no more: join without it.
      for (Connection& c : reaped) c.thread.join();
      reaped.clear();
      lock.lock();
      reaping = 0;
      connection_ended.notify_all();  // wakes wait_idle()
    }
  }

  bool wait_idle(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu);
    return connection_ended.wait_for(lock, timeout,
                                     [this] { return connections.empty() && reaping == 0; });
  }

  void session(Connection& c) {
    // A second descriptor of the socket keeps the connection open until the session has given
    // back its body budget and its slot: Beast closes the stream's own descriptor as soon as a
    // deadline passes, and a client that sees the end and comes straight back must find both.
    const int held = ::dup(c.stream.socket().native_handle());
    serve(c);
    linger_close(c);
    c.stream.close();
    {
      std::lock_guard lock(mu);
      c.done = true;
      ++finished;
    }
    connection_ended.notify_all();
    if (held >= 0) ::close(held);
  }

  // Serves requests until the client ends, misses a deadline or is answered with a close, or the
  // server stops.
  void serve(Connection& c) {
    beast::flat_buffer buffer;
    while (!stopping.load()) {
      const Clock::time_point ready = Clock::now();
      const Clock::time_point request_end = ready + options.request_deadline;
      MemoryBudget::Lease lease;  // before the parser, so that the body is freed first
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
      parser.body_limit(options.max_body_bytes);
      beast::error_code ec;
      c.stream.expires_at(std::min(ready + options.header_deadline, request_end));
      c.run(ec, [&](auto done) { http::async_read_header(c.stream, buffer, parser, done); });
      if (!ec && !parser.is_done()) {
        // The whole body is reserved before any of it is read: its announced length, or the
        // limit for a chunked body.
        lease = budget.reserve(parser.content_length().value_or(options.max_body_bytes));
        if (!lease) {
          Response res = plain(http::status::service_unavailable,
                               "too many request bodies in flight; retry later", 11);
          write(c, res, request_end);
          return;
        }
        c.stream.expires_at(std::min(Clock::now() + options.body_deadline, request_end));
        const Request& head = parser.get();
        if (head.version() == 11 && beast::iequals(head[http::field::expect], "100-continue")) {
          http::response<http::empty_body> go_on{http::status::continue_, 11};
          c.run(ec, [&](auto done) { http::async_write(c.stream, go_on, done); });
        }
        if (!ec) c.run(ec, [&](auto done) { http::async_read(c.stream, buffer, parser, done); });
      }
      if (ec) {
        refuse_unread(c, parser, ec, request_end);
        return;
      }
      const bool header_only = parser.get().method() == http::verb::head;
      Response res = respond(parser.release());
      if (!write(c, res, request_end, header_only) || !res.keep_alive()) return;
    }
  }

  // Answers a request that could not be read, when someone is there to read the answer: not
  // after a deadline (the socket is closed), a reset, or the end of the connection between
  // requests.
  void refuse_unread(Connection& c, const http::request_parser<http::string_body>& parser,
                     const beast::error_code& ec, Clock::time_point deadline) {
    Response res;
    if (ec == http::error::body_limit) {
      res = plain(http::status::payload_too_large, "body too large", 11);
    } else if (ec == http::error::header_limit) {
      res = plain(http::status::request_header_fields_too_large, "header too large", 11);
    } else if (parser.got_some() && ec != beast::error::timeout &&
               ec != asio::error::connection_reset) {
      res = plain(http::status::bad_request, "malformed request", 11);
    } else {
      return;
    }
    write(c, res, deadline);
  }

  // Writes `res`, or its header alone, by `deadline`; false if it could not.
  static bool write(Connection& c, Response& res, Clock::time_point deadline,
                    bool header_only = false) {
    beast::error_code ec;
    c.stream.expires_at(deadline);
    http::response_serializer<http::string_body> serializer(res);
    c.run(ec, [&](auto done) {
      if (header_only) {
        http::async_write_header(c.stream, serializer, done);
      } else {
        http::async_write(c.stream, serializer, done);
      }
    });
    return !ec;
  }

  // Ends the connection so that the client reads our last answer: closing a socket with unread
  // input (the rest of a refused request) would reset the connection and could discard the
  // answer before the client reads it. So: stop sending, then read what the client still sends,
  // up to 1 MiB, until it closes or the header deadline passes.
  void linger_close(Connection& c) {
    beast::error_code ec;
    c.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    c.stream.expires_after(options.header_deadline);
    char sink[4096];
    for (std::size_t drained = 0; !ec && drained < (1u << 20);) {
      drained += c.run(ec, [&](auto done) { c.stream.async_read_some(asio::buffer(sink), done); });
    }
  }

  Response respond(Request req) {
    if (req.version() != 10 && req.version() != 11) {
      return plain(http::status::http_version_not_supported, "HTTP/1.0 or 1.1 only", 11);
    }
    const beast::string_view target = req.target();
    const beast::string_view path = target.substr(0, target.find('?'));
    const beast::string_view accepted = req[http::field::accept_encoding];
    WebRequest request{std::string(req.method_string()), std::string(path),
                       negotiate_coding(std::string_view(accepted.data(), accepted.size())),
                       std::move(req.body())};
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
    {
      std::lock_guard lock(mu);
      if (stopping.exchange(true)) return;
    }
    connection_ended.notify_all();
    ::shutdown(acceptor.native_handle(), SHUT_RDWR);
    accept_thread.join();
    reap_thread.join();
    std::list<Connection> all;
    {
      std::lock_guard lock(mu);
      for (Connection& c : connections) {
        asio::post(c.io, [&c] {
          beast::error_code ignored;
          c.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        });
      }
      // List nodes keep their addresses, so the sessions' references stay valid.
      all.swap(connections);
    }
    // Sessions end on their own now; each takes mu once at its end, so join without it.
    for (Connection& c : all) c.thread.join();
  }

  Ref<RequestHandler> handler;
  const FrontendOptions options;
  MemoryBudget budget;
  asio::io_context io;  // the acceptor's; never run: it accepts synchronously
  tcp::acceptor acceptor;
  tcp protocol = tcp::v4();  // the listening address's
  std::string address;
  std::atomic<bool> stopping{false};
  std::thread accept_thread;
  std::thread reap_thread;
  std::mutex mu;
  // With mu: wakes the reaper, and an accept loop that waits for descriptors.
  std::condition_variable connection_ended;
  std::list<Connection> connections;  // guarded by mu
  std::size_t finished = 0;           // connections done and not reaped; guarded by mu
  std::size_t reaping = 0;            // connections being freed by the reaper; guarded by mu
};

Frontend::Frontend(Ref<RequestHandler> handler, FrontendOptions options)
    : impl_(std::make_unique<Impl>(std::move(handler), options)) {}

Frontend::~Frontend() {
  stop();
}

const std::string& Frontend::address() const noexcept {
  return impl_->address;
}

void Frontend::stop() {
  impl_->stop();
}

bool Frontend::wait_idle(std::chrono::milliseconds timeout) {
  return impl_->wait_idle(timeout);
}

}  // namespace hatch::web

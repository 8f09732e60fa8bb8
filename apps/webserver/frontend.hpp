// Frontend: the web server's HTTP/1.1 endpoint. It owns the listening socket, so it lives in the
// origin's process and is not a component: a socket cannot move. It parses each request with
// Boost.Beast, negotiates the body's coding, hands the request to the RequestHandler through its
// Ref (wherever the handler lives) and writes the answer.
//
//   hatch::web::Frontend frontend(origin.get<RequestHandler>("request_handler"), {});
//   std::printf("listening on %s\n", frontend.address().c_str());
//
// One thread serves each connection, since a handler call blocks its caller; max_connections
// bounds them. Every wait on a client is bounded by a deadline (header, body, whole request), and
// the bodies held at once by a budget. A malformed or oversized request gets a 4xx and the
// connection is closed; a client past a deadline is disconnected without an answer. A handler
// call that fails (a component unreachable) gets 503, any other failure 500; the server goes on.
//
// Thread safety: address() and stop() may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "hatch/ref.hpp"
#include "request_handler.hpp"

namespace hatch::web {

struct FrontendOptions {
  // Where to listen, "host:port" with an IP address; port 0 picks a free port (see address()).
  std::string listen = "127.0.0.1:8080";
  // Connections served at once. Default 512. Each takes a thread and five file descriptors (its
  // socket, a second descriptor of it, and its io_context's three). A connection over the limit
  // gets 503 and is closed.
  std::size_t max_connections = 512;
  // Largest request header block, and body (for PUT). Larger requests get 431 or 413. Default
  // 8 KiB and 16 MiB. Beast applies the header limit to the request line and to the fields each
  // on its own, so a header can take up to twice max_header_bytes (found by
  // tests/fuzz/http_request_fuzz).
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  // Deadlines. A client that misses one is disconnected without an answer, which frees its
  // connection, its thread and its body budget.
  // - header_deadline: to receive the whole request header, counted from when the server is
  //   ready for it (the connection accepted, or the previous answer written). So it also closes
  //   an idle keep-alive connection, a client that sends nothing, and one that sends its header
  //   a byte at a time. After its last answer, the server waits this long at most for the
  //   client to close. Default 10 s.
  // - body_deadline: to receive the body, counted from the end of the header. Shorter cuts off
  //   stalled uploads sooner; longer serves slower links (16 MiB in 60 s is about 2.2 Mbit/s).
  //   Default 60 s.
  // - request_deadline: for the whole request, counted like header_deadline: header, body, the
  //   handler's answer and its writing. It cuts off a client that reads the answer too slowly.
  //   Default 120 s.
  std::chrono::milliseconds header_deadline{10'000};
  std::chrono::milliseconds body_deadline{60'000};
  std::chrono::milliseconds request_deadline{120'000};
  // Request body bytes held at once across all connections. A request reserves its announced
  // length (max_body_bytes for a chunked body) before its body is read, until it is answered; one
  // that does not fit in what is left gets 503 and the connection is closed. It bounds the memory
  // uploads take, where max_connections * max_body_bytes would be 8 GiB. Default 64 MiB; it must
  // be at least max_body_bytes.
  std::size_t max_inflight_body_bytes = 64 * 1024 * 1024;
};

class Frontend {
 public:
  // Listens at once and serves until stop() or destruction. Throws std::invalid_argument for
  // options that cannot work (a deadline not above zero, a budget below max_body_bytes) and
  // std::runtime_error when it cannot listen. `handler` must stay usable (its Origin alive) until
  // stop() returns.
  Frontend(Ref<RequestHandler> handler, FrontendOptions options);
  ~Frontend();
  Frontend(const Frontend&) = delete;
  Frontend& operator=(const Frontend&) = delete;

  // The address it listens on, "host:port", with the real port.
  const std::string& address() const noexcept;

  // Stops accepting, closes every connection, and waits for their threads. Idempotent.
  void stop();

  // Waits until no connection is open and every finished one has given back its thread and
  // descriptors, for at most `timeout`; false if some remain. For a drain before stop().
  bool wait_idle(std::chrono::milliseconds timeout);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hatch::web

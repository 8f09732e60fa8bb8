// Frontend: the web server's HTTP/1.1 endpoint. It owns the listening socket, so it lives in the
// origin's process and is not a component: a socket cannot move. It parses each request with
// Boost.Beast, negotiates the body's coding, hands the request to the RequestHandler through its
// Ref (wherever the handler lives) and writes the answer.
//
//   hatch::web::Frontend frontend(origin.get<RequestHandler>("request_handler"), {});
//   std::printf("listening on %s\n", frontend.address().c_str());
//
// One thread serves each connection, since a handler call blocks its caller; max_connections
// bounds them. Requests are bounded (header and body limits); a malformed or oversized request
// gets a 4xx and the connection is closed. A handler call that fails (a component unreachable)
// gets 503, any other failure 500; the server goes on.
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
  // Connections served at once. Default 512: one thread each. A connection over the limit gets
  // 503 and is closed.
  std::size_t max_connections = 512;
  // Largest request header block, and body (for PUT). Larger requests get 431 or 413. Default
  // 8 KiB and 16 MiB.
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  // A connection that sends nothing (or accepts nothing) for this long is closed. Default 30 s.
  std::chrono::seconds idle_timeout{30};
};

class Frontend {
 public:
  // Listens at once and serves until stop() or destruction. Throws std::runtime_error when it
  // cannot listen. `handler` must stay usable (its Origin alive) until stop() returns.
  Frontend(Ref<RequestHandler> handler, FrontendOptions options);
  ~Frontend();
  Frontend(const Frontend&) = delete;
  Frontend& operator=(const Frontend&) = delete;

  // The address it listens on, "host:port", with the real port.
  const std::string& address() const noexcept;

  // Stops accepting, closes every connection, and waits for their threads. Idempotent.
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hatch::web

// A single HTTP GET with a deadline, for tools that read a process's HTTP endpoints (`hatch
// status` reads the origin's JSON API): connect, send, read the answer, close.
#pragma once

#include <chrono>
#include <string>

namespace hatch::ops {

struct HttpGetReply {
  int status = 0;
  std::string body;
};

// GETs `target` ("/api/nodes") from `address` ("host:port"), sending `token` as a bearer token
// unless it is empty. The whole exchange must end within `timeout`, and the body may hold at
// most `max_body_bytes`. Throws std::runtime_error naming the address and what failed.
HttpGetReply http_get(const std::string& address, const std::string& target,
                      const std::string& token = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds(5),
                      std::size_t max_body_bytes = 64u << 20);

}  // namespace hatch::ops

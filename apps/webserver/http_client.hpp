// A blocking HTTP/1.1 client over one keep-alive connection (Boost.Beast), for the load
// generator and the tests.
//
//   HttpClient client("127.0.0.1:8080");
//   HttpReply r = client.request("GET", "/text/doc-00000.html", {{"Accept-Encoding", "gzip"}});
//
// Not thread-safe: one client per thread.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hatch::web {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  friend bool operator==(const HttpReply&, const HttpReply&) = default;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
 public:
  // `address` is "host:port" with an IP address. Connects on the first request.
  explicit HttpClient(std::string address);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads the whole reply (a body of at most 64 MiB). Connects first when
  // no connection is open; the connection stays open unless the server closes it. Throws
  // std::runtime_error on a network or protocol error, after closing the connection.
  HttpReply request(std::string_view method, std::string_view target,
                    const HttpHeaders& headers = {}, const std::string& body = {});

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hatch::web

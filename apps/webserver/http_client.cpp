#include "http_client.hpp"

#include <stdexcept>

#include "beast.hpp"

namespace hatch::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

struct HttpClient::Impl {
  explicit Impl(std::string a) : address(std::move(a)), socket(io) {
    const std::size_t colon = address.rfind(':');
    if (colon == std::string::npos) throw std::runtime_error("address needs host:port");
    endpoint = {asio::ip::make_address(address.substr(0, colon)),
                static_cast<unsigned short>(std::stoul(address.substr(colon + 1)))};
  }

  HttpReply request(std::string_view method, std::string_view target, const HttpHeaders& headers,
                    const std::string& body) {
    beast::error_code ec;
    if (!socket.is_open()) {
      socket.connect(endpoint, ec);
      if (ec) fail("connect", ec);
      socket.set_option(tcp::no_delay(true));
      buffer.clear();
    }
    http::request<http::string_body> req;
    req.method_string(beast::string_view(method.data(), method.size()));
    req.target(beast::string_view(target.data(), target.size()));
    req.version(11);
    req.set(http::field::host, address);
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    if (!body.empty() || method == "PUT" || method == "POST") req.prepare_payload();
    http::write(socket, req, ec);
    if (ec) fail("write", ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    parser.skip(method == "HEAD");
    http::read(socket, buffer, parser, ec);
    if (ec) fail("read", ec);
    http::response<http::string_body> res = parser.release();
    HttpReply reply;
    reply.status = static_cast<int>(res.result_int());
    for (const auto& field : res) {
      std::string name(field.name_string());
      for (char& c : name) c = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
      reply.headers[name] = std::string(field.value());
    }
    reply.body = std::move(res.body());
    if (!res.keep_alive()) close();
    return reply;
  }

  [[noreturn]] void fail(const char* what, const beast::error_code& ec) {
    close();
    throw std::runtime_error(std::string("http ") + what + " " + address + ": " + ec.message());
  }

  void close() {
    beast::error_code ignored;
    socket.close(ignored);
  }

  const std::string address;
  tcp::endpoint endpoint;
  asio::io_context io;
  tcp::socket socket;
  beast::flat_buffer buffer;
};

HttpClient::HttpClient(std::string address) : impl_(std::make_unique<Impl>(std::move(address))) {}

HttpClient::~HttpClient() = default;

HttpReply HttpClient::request(std::string_view method, std::string_view target,
                              const HttpHeaders& headers, const std::string& body) {
  return impl_->request(method, target, headers, body);
}

}  // namespace hatch::web

#include "core/host_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "hatch/error.hpp"

namespace hatch {

std::pair<std::string, std::uint16_t> split_address(std::string_view address) {
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size()) {
    throw UsageError("'" + std::string(address) + "' is not an address of the form HOST:PORT");
  }
  std::string host(address.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  const char* first = address.data() + colon + 1;
  const char* last = address.data() + address.size();
  auto [ptr, ec] = std::from_chars(first, last, port);
  if (ec != std::errc() || ptr != last || port > 65535) {
    throw UsageError("'" + std::string(address) + "' has no valid port (0-65535)");
  }
  return {host, static_cast<std::uint16_t>(port)};
}

std::string canonical_address(std::string_view address) {
  auto [host, port] = split_address(address);
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string suffix = ":" + std::to_string(port);
  if (host == "localhost") return "127.0.0.1" + suffix;
  std::array<unsigned char, 16> binary{};
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (::inet_pton(AF_INET, host.c_str(), binary.data()) == 1) {
    return ::inet_ntop(AF_INET, binary.data(), text.data(), text.size()) + suffix;
  }
  if (::inet_pton(AF_INET6, host.c_str(), binary.data()) == 1) {
    return "[" + std::string(::inet_ntop(AF_INET6, binary.data(), text.data(), text.size())) + "]" +
           suffix;
  }
  return host + suffix;
}

}  // namespace hatch

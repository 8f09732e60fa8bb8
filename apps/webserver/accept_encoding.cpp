#include "accept_encoding.hpp"

#include <charconv>
#include <optional>

#include <boost/beast/http/rfc7230.hpp>

namespace hatch::web {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

double q_value(const boost::beast::http::param_list& params) {
  for (const auto& [name, value] : params) {
    if (!iequals(std::string_view(name.data(), name.size()), "q")) continue;
    double q = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), q);
    if (ec != std::errc() || end != value.data() + value.size() || q < 0 || q > 1) return 0;
    return q;
  }
  return 1;
}

}  // namespace

std::string negotiate_coding(std::string_view header) {
  std::optional<double> gzip, zstd, any;
  const boost::beast::string_view text(header.data(), header.size());
  for (const auto& [token, params] : boost::beast::http::ext_list(text)) {
    const std::string_view name(token.data(), token.size());
    const double q = q_value(params);
    if (iequals(name, "gzip") || iequals(name, "x-gzip")) {
      gzip = q;
    } else if (iequals(name, "zstd")) {
      zstd = q;
    } else if (name == "*") {
      any = q;
    }
  }
  const double g = gzip.value_or(any.value_or(0));
  const double z = zstd.value_or(any.value_or(0));
  if (z > 0 && z >= g) return "zstd";
  if (g > 0) return "gzip";
  return "";
}

}  // namespace hatch::web

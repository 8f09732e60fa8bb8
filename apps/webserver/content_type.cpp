#include "content_type.hpp"

#include <array>
#include <utility>

namespace hatch::web {

std::string content_type_of(std::string_view path) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "application/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".gz", "application/gzip"},
      {".bin", "application/octet-stream"},
  }};
  const std::size_t slash = path.rfind('/');
  const std::size_t dot = path.rfind('.');
  if (dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash)) {
    const std::string_view ext = path.substr(dot);
    for (const auto& [known, type] : kTypes) {
      if (ext == known) return std::string(type);
    }
  }
  return "application/octet-stream";
}

bool is_compressible(std::string_view content_type) {
  const std::string_view media = content_type.substr(0, content_type.find(';'));
  return media.starts_with("text/") || media == "application/json" ||
         media == "application/javascript" || media == "application/xml" ||
         media == "image/svg+xml";
}

}  // namespace hatch::web

#include "document_path.hpp"

namespace hatch::web {

std::string document_path_problem(std::string_view path) {
  if (path.size() < 2 || path.front() != '/') return "a path starts with '/' and names a document";
  if (path.size() > kMaxDocumentPath) {
    return "a path is at most " + std::to_string(kMaxDocumentPath) + " bytes";
  }
  std::string_view rest = path.substr(1);
  while (true) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment.empty() || segment == "." || segment == "..") {
      return "a path has no empty, '.' or '..' segment";
    }
    if (segment.size() > kMaxPathSegment) {
      return "a path segment is at most " + std::to_string(kMaxPathSegment) + " bytes";
    }
    for (char c : segment) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.';
      if (!ok) return "a path uses only ASCII letters, digits, '-', '_', '.' and '/'";
    }
    if (slash == std::string_view::npos) return "";
    rest = rest.substr(slash + 1);
  }
}

bool is_document_path(std::string_view path) {
  return document_path_problem(path).empty();
}

}  // namespace hatch::web

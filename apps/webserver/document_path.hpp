// Which request paths can name a document: the one check that keeps every component inside its
// data directory, whatever a client sends.
#pragma once

#include <cstddef>
#include <string_view>

namespace hatch::web {

// The longest document path accepted, in bytes.
inline constexpr std::size_t kMaxDocumentPath = 512;

// True when `path` starts with '/', is at most kMaxDocumentPath bytes, uses only ASCII letters,
// digits, '-', '_', '.' and '/', and has no empty, "." or ".." segment. Such a path, without its
// leading '/', is a relative file name below a data directory that cannot leave it.
bool is_document_path(std::string_view path);

}  // namespace hatch::web

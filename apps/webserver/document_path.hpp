// Which request paths can name a document: the one check that keeps every component inside its
// data directory, whatever a client sends.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hatch::web {

// The longest document path accepted, and the longest segment (a file name: Linux's NAME_MAX),
// in bytes.
inline constexpr std::size_t kMaxDocumentPath = 512;
inline constexpr std::size_t kMaxPathSegment = 255;

// Why `path` cannot name a document, in words for the client, or empty when it can. It can when
// it starts with '/', is at most kMaxDocumentPath bytes, uses only ASCII letters, digits, '-',
// '_', '.' and '/', and has no empty, "." or ".." segment nor one over kMaxPathSegment bytes.
// Such a path, without its leading '/', is a relative file name below a data directory that
// cannot leave it and that the file system accepts.
std::string document_path_problem(std::string_view path);

// True when document_path_problem(path) is empty.
bool is_document_path(std::string_view path);

}  // namespace hatch::web

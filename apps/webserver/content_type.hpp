// Content types of the corpus's documents, and which of them are worth compressing.
#pragma once

#include <string>
#include <string_view>

namespace hatch::web {

// The media type of a document named `path`, from its extension; application/octet-stream for an
// unknown one. Text types carry "; charset=utf-8".
std::string content_type_of(std::string_view path);

// True for text/*, JSON, JavaScript, XML and SVG: types whose bodies shrink under gzip or zstd.
// Images, archives and octet streams are already dense and are sent as they are.
bool is_compressible(std::string_view content_type);

}  // namespace hatch::web

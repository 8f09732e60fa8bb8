// gzip (zlib) and zstd, whole bodies at a time. The library headers stay in compression.cpp.
// The same input and level give the same bytes on every call, so a response does not depend on
// where it was compressed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hatch::web {

// `body` as a gzip member (RFC 1952) at `level` (1-9). Throws std::runtime_error on a zlib error.
std::string gzip_compress(std::string_view body, int level);

// `body` as one zstd frame at `level` (1-19). Throws std::runtime_error on a zstd error.
std::string zstd_compress(std::string_view body, int level);

// The inverses, for clients and tests. They throw std::runtime_error on malformed input or when
// the result would exceed `max_bytes`.
std::string gzip_decompress(std::string_view data, std::size_t max_bytes);
std::string zstd_decompress(std::string_view data, std::size_t max_bytes);

}  // namespace hatch::web

#include "compression.hpp"

#include <stdexcept>

#include <zlib.h>
#include <zstd.h>

namespace hatch::web {

namespace {

// zlib's windowBits for a gzip wrapper: a 32 KiB window (15) plus 16.
constexpr int kGzipWindowBits = 15 + 16;

Bytef* zlib_in(std::string_view data) {
  // zlib's API is not const-correct; it never writes through next_in.
  return reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
}

}  // namespace

std::string gzip_compress(std::string_view body, int level) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("gzip: deflateInit2 failed");
  }
  std::string out(deflateBound(&z, static_cast<uLong>(body.size())), '\0');
  z.next_in = zlib_in(body);
  z.avail_in = static_cast<uInt>(body.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const std::size_t written = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("gzip: deflate did not finish");
  out.resize(written);
  return out;
}

std::string zstd_compress(std::string_view body, int level) {
  std::string out(ZSTD_compressBound(body.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), body.data(), body.size(), level);
  if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

std::string gzip_decompress(std::string_view data, std::size_t max_bytes) {
  z_stream z{};
  if (inflateInit2(&z, kGzipWindowBits) != Z_OK) throw std::runtime_error("gzip: inflateInit2");
  z.next_in = zlib_in(data);
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char chunk[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    rc = inflate(&z, Z_NO_FLUSH);
    const std::size_t produced = sizeof chunk - z.avail_out;
    if ((rc != Z_OK && rc != Z_STREAM_END) || (rc == Z_OK && produced == 0 && z.avail_in == 0) ||
        out.size() + produced > max_bytes) {
      inflateEnd(&z);
      throw std::runtime_error("gzip: malformed or too large");
    }
    out.append(chunk, produced);
  }
  inflateEnd(&z);
  return out;
}

std::string zstd_decompress(std::string_view data, std::size_t max_bytes) {
  ZSTD_DStream* stream = ZSTD_createDStream();
  if (stream == nullptr) throw std::runtime_error("zstd: out of memory");
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  std::string out;
  char chunk[16384];
  std::size_t rc = 1;
  while (rc != 0) {
    ZSTD_outBuffer o{chunk, sizeof chunk, 0};
    rc = ZSTD_decompressStream(stream, &o, &in);
    if (ZSTD_isError(rc) || out.size() + o.pos > max_bytes ||
        (rc != 0 && in.pos == in.size && o.pos == 0)) {
      ZSTD_freeDStream(stream);
      throw std::runtime_error("zstd: malformed or too large");
    }
    out.append(chunk, o.pos);
  }
  ZSTD_freeDStream(stream);
  return out;
}

}  // namespace hatch::web

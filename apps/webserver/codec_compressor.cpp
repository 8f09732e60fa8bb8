// The "compressor" component: gzip or zstd, stateless.
//
// Config:
//   gzip_level  (int, default 6) zlib level, 1 (fast) to 9 (small)
//   zstd_level  (int, default 3) zstd level, 1 (fast) to 19 (small)
#include <stdexcept>

#include "compression.hpp"
#include "compressor.hpp"
#include "hatch/component.hpp"

namespace hatch::web {
namespace {

int level(Context& ctx, std::string_view key, std::int64_t fallback, std::int64_t max) {
  const std::int64_t v = ctx.config<std::int64_t>(key, fallback);
  if (v < 1 || v > max) {
    throw UsageError("compressor: " + std::string(key) + " must be 1 to " + std::to_string(max));
  }
  return static_cast<int>(v);
}

class CodecCompressor final : public Compressor {
 public:
  explicit CodecCompressor(Context& ctx)
      : gzip_level_(level(ctx, "gzip_level", 6, 9)), zstd_level_(level(ctx, "zstd_level", 3, 19)) {}

  std::string compress(const std::string& coding, const std::string& body) override {
    if (coding == "gzip") return gzip_compress(body, gzip_level_);
    if (coding == "zstd") return zstd_compress(body, zstd_level_);
    throw std::invalid_argument("compressor: unknown coding '" + coding + "'");
  }

 private:
  const int gzip_level_;
  const int zstd_level_;
};

}  // namespace

HATCH_COMPONENT(CodecCompressor, Compressor, "compressor");

}  // namespace hatch::web

// The shared secret that every process of one cluster proves it knows before it may talk.
#pragma once

#include <string>
#include <string_view>

namespace hatch::rpc {

class ClusterSecret {
 public:
  // Reads the secret from `path` (trailing whitespace dropped). Throws UsageError when the file
  // cannot be read or holds fewer than kMinBytes bytes.
  static ClusterSecret from_file(const std::string& path);
  // Uses `bytes` as the secret. Throws UsageError when it is shorter than kMinBytes.
  static ClusterSecret from_bytes(std::string bytes);

  static constexpr std::size_t kMinBytes = 16;

  const std::string& bytes() const noexcept { return bytes_; }

 private:
  explicit ClusterSecret(std::string_view bytes) : bytes_(bytes.begin(), bytes.end()) {}
  std::string bytes_;
};

}  // namespace hatch::rpc

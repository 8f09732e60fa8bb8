#include "rpc/cluster_secret.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "hatch/error.hpp"
#include "rpc/private_file.hpp"

namespace hatch::rpc {

ClusterSecret ClusterSecret::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read the cluster secret file '" + path + "'");
  refuse_shared_file(path, "the cluster secret file");
  std::ostringstream data;
  data << in.rdbuf();
  std::string bytes = data.str();
  while (!bytes.empty() && (bytes.back() == '\n' || bytes.back() == '\r' || bytes.back() == ' ')) {
    bytes.pop_back();
  }
  if (bytes.size() < kMinBytes) {
    throw UsageError(
        fmt::format("the cluster secret in '{}' is {} bytes; use at least {} random bytes, e.g. "
                    "`(umask 077; head -c 32 /dev/urandom | base64 > {})`",
                    path, bytes.size(), kMinBytes, path));
  }
  return ClusterSecret(std::string_view(bytes));
}

ClusterSecret ClusterSecret::from_bytes(std::string bytes) {
  if (bytes.size() < kMinBytes) {
    throw UsageError(
        fmt::format("the cluster secret is {} bytes; use at least {}", bytes.size(), kMinBytes));
  }
  return ClusterSecret(std::string_view(bytes));
}

}  // namespace hatch::rpc

#include "temp_certs.hpp"

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

#include "rpc/cluster_certs.hpp"

namespace hatch::test {

TempCerts::TempCerts(const std::vector<std::string>& names) {
  std::string pattern = (std::filesystem::temp_directory_path() / "hatch-certs-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  rpc::make_cluster_certs(dir_, names, 1);
}

TempCerts::~TempCerts() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

TlsFiles TempCerts::files(const std::string& name) const {
  return TlsFiles{dir_ + "/" + name + ".crt", dir_ + "/" + name + ".key", dir_ + "/ca.crt"};
}

std::vector<std::string> TempCerts::flags(const std::string& name) const {
  const TlsFiles f = files(name);
  return {"--hatch-tls-cert", f.cert_file,      "--hatch-tls-key",
          f.key_file,         "--hatch-tls-ca", f.ca_file};
}

}  // namespace hatch::test

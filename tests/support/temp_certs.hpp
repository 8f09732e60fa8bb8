// Certificates for mutual TLS in a fresh temporary directory, made as `hatch certs` makes them
// (rpc/cluster_certs.hpp), and removed with the object.
//
//   TempCerts certs({"origin", "node"});
//   Options o;  o.tls = certs.files("origin");
//   NodeProcess node(secret.path(), "127.0.0.1:0", certs.flags("node"));
#pragma once

#include <string>
#include <vector>

#include "hatch/options.hpp"

namespace hatch::test {

class TempCerts {
 public:
  // A new CA and a key and certificate for each of `names`. Throws on failure.
  explicit TempCerts(const std::vector<std::string>& names);
  ~TempCerts();
  TempCerts(const TempCerts&) = delete;
  TempCerts& operator=(const TempCerts&) = delete;

  const std::string& dir() const noexcept { return dir_; }
  // The files of member `name`, with this CA.
  TlsFiles files(const std::string& name) const;
  // The same as flags of a Hatch program: --hatch-tls-cert FILE --hatch-tls-key ... .
  std::vector<std::string> flags(const std::string& name) const;

 private:
  std::string dir_;
};

}  // namespace hatch::test

// Makes the files that mutual TLS (tls_network.hpp) needs: a certificate authority for one
// cluster, and for each member a private key and a certificate that the CA signed. `hatch certs`
// is this function on the command line; tests and benchmarks make their certificates with it.
//
//   auto written = make_cluster_certs("certs", {"origin", "10.0.0.5", "node-1.hatch"}, 365);
//   // certs/ca.key, certs/ca.crt, certs/origin.key, certs/origin.crt, ...
//
// In `dir`:
//   ca.key, ca.crt         the CA. Its certificate is every process's CA file; its key only
//                          signs members, and belongs on no host of the cluster.
//   NAME.key, NAME.crt     a member's key and certificate (--hatch-tls-key, --hatch-tls-cert).
//
// Keys are EC P-256 and are created with mode 0600, so that no one else can read them even for
// a moment; certificates are created 0644. A member's certificate names NAME (a DNS name, or an
// IP address when NAME is one), localhost, 127.0.0.1 and ::1: a client checks that the node it
// dials is named by its certificate, so NAME is the host that others dial the member by. Each
// certificate serves both ends of a connection, for a member both dials and accepts.
//
// A CA already in `dir` is reused, so that members can be added later; a member whose files
// exist is refused rather than overwritten, and so is everything when anything is refused:
// nothing is written unless all of it can be.
#pragma once

#include <string>
#include <vector>

namespace hatch::rpc {

struct WrittenFile {
  std::string path;
  std::string what;  // what it is and where it goes, for the user
};

// Longest validity `days` may ask for: certificates that live for ever are never rotated.
inline constexpr int kMaxCertDays = 3650;

// Writes the CA (unless `dir` has one) and a key and certificate for each of `names`, valid for
// `days` (1 to kMaxCertDays; never past the CA's own end) from an hour ago (for clocks a little
// behind). Creates `dir` if needed. Returns what it wrote, in order. Throws UsageError naming
// the name or file at fault.
std::vector<WrittenFile> make_cluster_certs(const std::string& dir,
                                            const std::vector<std::string>& names, int days);

}  // namespace hatch::rpc

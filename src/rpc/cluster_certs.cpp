#include "rpc/cluster_certs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <set>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hatch/error.hpp"
#include "rpc/openssl_error.hpp"
#include "rpc/private_file.hpp"

namespace hatch::rpc {

namespace {

struct FreeKey {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct FreeCert {
  void operator()(X509* cert) const { X509_free(cert); }
};
using Key = std::unique_ptr<EVP_PKEY, FreeKey>;
using Cert = std::unique_ptr<X509, FreeCert>;

// Certificates start this long before they are made, for hosts whose clocks are a little behind.
constexpr long kSkewSeconds = 3600;
// The most a common name may hold; longer names live in full in the subject alternative names.
constexpr std::size_t kMaxCommonName = 64;

void check(bool ok, const std::string& doing) {
  if (!ok) throw UsageError("cannot " + doing + ": " + openssl_error());
}

// Refuses to ask for a passphrase: a key file that has one cannot be read here.
int no_passphrase(char*, int, int, void*) {
  return 0;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "make the certificate extension '" + value + "'");
  const int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check(added == 1, "add the certificate extension '" + value + "'");
}

// A certificate of `key` for `common_name`, signed by `issuer` with `signer` (itself when
// `issuer` is null), valid for `days` but never past the issuer's end.
Cert make_cert(EVP_PKEY* key, const std::string& common_name, X509* issuer, EVP_PKEY* signer,
               int days, const std::vector<std::pair<int, std::string>>& extensions) {
  Cert cert(X509_new());
  check(cert != nullptr, "make a certificate");
  X509_set_version(cert.get(), 2);  // X.509 v3, which has extensions
  BIGNUM* serial = BN_new();
  const bool numbered = serial != nullptr &&
                        BN_rand(serial, 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
                        BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get())) != nullptr;
  BN_free(serial);
  check(numbered, "pick a serial number");
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn = common_name.substr(0, kMaxCommonName);
  check(
      X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>("hatch"), -1, -1, 0) == 1 &&
          X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                     0) == 1,
      "name the certificate '" + cn + "'");
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kSkewSeconds);
  X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, nullptr);
  if (issuer != nullptr &&
      ASN1_TIME_compare(X509_get0_notAfter(cert.get()), X509_get0_notAfter(issuer)) > 0) {
    X509_set1_notAfter(cert.get(), X509_get0_notAfter(issuer));
  }
  check(X509_set_pubkey(cert.get(), key) == 1, "put the key in the certificate");
  for (const auto& [nid, value] : extensions) {
    add_extension(cert.get(), issuer != nullptr ? issuer : cert.get(), nid, value);
  }
  check(X509_sign(cert.get(), signer, EVP_sha256()) > 0, "sign the certificate");
  return cert;
}

Key make_key() {
  Key key(EVP_EC_gen("P-256"));
  check(key != nullptr, "make an EC P-256 key");
  return key;
}

// Creates `path` with `mode` (never over an existing file) and writes it with `write`.
void write_new(const std::string& path, mode_t mode, const std::function<int(FILE*)>& write) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw UsageError("cannot create '" + path + "': " + std::strerror(errno));
  FILE* file = ::fdopen(fd, "w");
  if (file == nullptr) {
    ::close(fd);
    throw UsageError("cannot write '" + path + "': " + std::strerror(errno));
  }
  const bool written = write(file) == 1;
  if (std::fclose(file) != 0 || !written) {
    throw UsageError("cannot write '" + path + "': " + openssl_error(std::strerror(errno)));
  }
}

// Reads one PEM object from `path` with `read` (PEM_read_X509, say); `what` names it in errors.
// Never returns null.
template <class T>
T* read_pem(const std::string& path, const std::string& what,
            T* (*read)(FILE*, T**, pem_password_cb*, void*)) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) {
    throw UsageError("cannot read the " + what + " '" + path + "': " + std::strerror(errno));
  }
  T* object = read(file, nullptr, no_passphrase, nullptr);
  std::fclose(file);
  if (object == nullptr) {
    throw UsageError("'" + path + "' holds no " + what + " (" + openssl_error() + ")");
  }
  return object;
}

std::string day_of(const ASN1_TIME* time) {
  std::tm tm{};
  char text[16] = "?";
  if (ASN1_TIME_to_tm(time, &tm) == 1) std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
  return text;
}

// NAME as a subject alternative name, then the loopback names every member also has.
std::string alt_names(const std::string& name) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(name.c_str());
  const bool is_ip = ip != nullptr;
  ASN1_OCTET_STRING_free(ip);
  ERR_clear_error();
  std::string names = (is_ip ? "IP:" : "DNS:") + name;
  for (const std::string loopback : {"DNS:localhost", "IP:127.0.0.1", "IP:::1"}) {
    if (loopback != names.substr(0, names.find(','))) names += "," + loopback;
  }
  return names;
}

void check_name(const std::string& name) {
  static const std::string kAllowed =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:";
  if (name.empty() || name.size() > 253 || name == "ca" || name.front() == '.' ||
      name.find_first_not_of(kAllowed) != std::string::npos) {
    throw UsageError("'" + name +
                     "' cannot name a member: use the host name or IP address that others dial "
                     "it by (letters, digits, '.', '-', '_', ':'), and not 'ca'");
  }
}

bool exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

}  // namespace

std::vector<WrittenFile> make_cluster_certs(const std::string& dir,
                                            const std::vector<std::string>& names, int days) {
  if (days < 1 || days > kMaxCertDays) {
    throw UsageError("certificates may be valid for 1 to " + std::to_string(kMaxCertDays) +
                     " days, not " + std::to_string(days));
  }
  if (names.empty()) throw UsageError("name at least one member to make a certificate for");
  std::set<std::string> seen;
  for (const std::string& name : names) {
    check_name(name);
    if (!seen.insert(name).second) throw UsageError("the member '" + name + "' is named twice");
    for (const char* ext : {".key", ".crt"}) {
      const std::string path = dir + "/" + name + ext;
      if (exists(path)) {
        throw UsageError("'" + path + "' exists already; remove " + name +
                         "'s files to make new ones");
      }
    }
  }
  const std::string ca_key_path = dir + "/ca.key";
  const std::string ca_cert_path = dir + "/ca.crt";
  if (exists(ca_key_path) != exists(ca_cert_path)) {
    throw UsageError("'" + dir + "' holds only half of a CA (ca.key and ca.crt go together)");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw UsageError("cannot create the directory '" + dir + "': " + ec.message());

  std::vector<WrittenFile> written;
  Key ca_key;
  Cert ca_cert;
  if (exists(ca_key_path)) {
    refuse_shared_file(ca_key_path, "the CA's key file");
    ca_key.reset(read_pem(ca_key_path, "CA's key", PEM_read_PrivateKey));
    ca_cert.reset(read_pem(ca_cert_path, "CA certificate", PEM_read_X509));
    if (X509_check_private_key(ca_cert.get(), ca_key.get()) != 1) {
      ERR_clear_error();
      throw UsageError("the key in '" + ca_key_path + "' does not belong to the certificate in '" +
                       ca_cert_path + "'");
    }
  } else {
    // A name of its own, so that two clusters' CAs are never taken for one another.
    std::random_device random;
    const std::string ca_name = "hatch CA " + std::to_string(random()) + std::to_string(random());
    ca_key = make_key();
    ca_cert = make_cert(ca_key.get(), ca_name, nullptr, ca_key.get(), days,
                        {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                         {NID_key_usage, "critical,keyCertSign,cRLSign"},
                         {NID_subject_key_identifier, "hash"}});
    write_new(ca_key_path, 0600, [&](FILE* f) {
      return PEM_write_PrivateKey(f, ca_key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
    written.push_back(
        {ca_key_path, "the CA's key: it signs members; keep it off the cluster's hosts"});
    write_new(ca_cert_path, 0644, [&](FILE* f) { return PEM_write_X509(f, ca_cert.get()); });
    written.push_back({ca_cert_path, "the CA certificate, valid until " +
                                         day_of(X509_get0_notAfter(ca_cert.get())) +
                                         ": every process's --hatch-tls-ca"});
  }
  for (const std::string& name : names) {
    Key key = make_key();
    const std::string alt = alt_names(name);
    Cert cert = make_cert(key.get(), name, ca_cert.get(), ca_key.get(), days,
                          {{NID_basic_constraints, "critical,CA:FALSE"},
                           {NID_key_usage, "critical,digitalSignature"},
                           {NID_ext_key_usage, "serverAuth,clientAuth"},
                           {NID_subject_key_identifier, "hash"},
                           {NID_authority_key_identifier, "keyid:always"},
                           {NID_subject_alt_name, alt}});
    const std::string key_path = dir + "/" + name + ".key";
    const std::string cert_path = dir + "/" + name + ".crt";
    write_new(key_path, 0600, [&](FILE* f) {
      return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
    written.push_back({key_path, name + "'s key: its --hatch-tls-key"});
    write_new(cert_path, 0644, [&](FILE* f) { return PEM_write_X509(f, cert.get()); });
    written.push_back({cert_path, name + "'s certificate for " + alt + ", valid until " +
                                      day_of(X509_get0_notAfter(cert.get())) +
                                      ": its --hatch-tls-cert"});
  }
  return written;
}

}  // namespace hatch::rpc

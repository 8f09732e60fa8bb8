#include "rpc/cluster_certs.hpp"

#include <stdlib.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hatch/error.hpp"
#include "rpc/tls_network.hpp"

namespace hatch::rpc {
namespace {

class ClusterCerts : public ::testing::Test {
 protected:
  ClusterCerts() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hatch-certs-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern + "/certs";  // not there yet: make_cluster_certs creates it
  }
  ~ClusterCerts() override {
    std::filesystem::remove_all(std::filesystem::path(dir_).parent_path());
  }

  std::string path(const std::string& file) const { return dir_ + "/" + file; }

  std::string dir_;
};

mode_t mode_of(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 07777;
}

std::string contents(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

X509* read_cert(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  X509* cert = file != nullptr ? PEM_read_X509(file, nullptr, nullptr, nullptr) : nullptr;
  if (file != nullptr) std::fclose(file);
  return cert;
}

// Whether the certificate at `leaf` verifies against the one at `ca`, and why not.
std::string verify(const std::string& leaf, const std::string& ca) {
  X509* cert = read_cert(leaf);
  X509* root = read_cert(ca);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, root);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, nullptr);
  const bool ok = X509_verify_cert(ctx) == 1;
  const std::string why = ok ? "ok" : X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(root);
  X509_free(cert);
  return why;
}

TEST_F(ClusterCerts, WritesACaAndAKeyAndCertificatePerMemberWithPrivateKeys) {
  const std::vector<WrittenFile> written = make_cluster_certs(dir_, {"origin", "10.1.2.3"}, 30);
  ASSERT_EQ(written.size(), 6u);
  EXPECT_EQ(written[0].path, path("ca.key"));
  EXPECT_EQ(written[1].path, path("ca.crt"));
  EXPECT_EQ(written[4].path, path("10.1.2.3.key"));
  EXPECT_NE(written[5].what.find("IP:10.1.2.3,DNS:localhost,IP:127.0.0.1,IP:::1"),
            std::string::npos)
      << written[5].what;
  for (const char* key : {"ca.key", "origin.key", "10.1.2.3.key"}) {
    EXPECT_EQ(mode_of(path(key)), 0600u) << key;
  }
  for (const char* cert : {"origin.crt", "10.1.2.3.crt"}) {
    EXPECT_EQ(verify(path(cert), path("ca.crt")), "ok") << cert;
  }
  // Each member's files are a valid TLS configuration as they stand.
  EXPECT_NO_THROW(check_tls_files({path("origin.crt"), path("origin.key"), path("ca.crt")}));
}

TEST_F(ClusterCerts, AMembersCertificateNamesItAndLoopbackAndEndsWithinItsDays) {
  make_cluster_certs(dir_, {"node-1.hatch"}, 30);
  X509* cert = read_cert(path("node-1.hatch.crt"));
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_host(cert, "node-1.hatch", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "::1", 0), 1);
  EXPECT_NE(X509_check_host(cert, "node-2.hatch", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_ip_asc(cert, "127.0.0.2", 0), 1);
  time_t in_29_days = std::time(nullptr) + 29 * 86400;
  time_t in_31_days = std::time(nullptr) + 31 * 86400;
  EXPECT_GT(X509_cmp_time(X509_get0_notAfter(cert), &in_29_days), 0);
  EXPECT_LT(X509_cmp_time(X509_get0_notAfter(cert), &in_31_days), 0);
  X509_free(cert);
}

TEST_F(ClusterCerts, ACaAlreadyThereSignsTheNewMembers) {
  make_cluster_certs(dir_, {"a"}, 30);
  const std::string ca = contents(path("ca.crt"));
  const std::vector<WrittenFile> written = make_cluster_certs(dir_, {"b"}, 30);
  ASSERT_EQ(written.size(), 2u) << "only b's key and certificate";
  EXPECT_EQ(contents(path("ca.crt")), ca);
  EXPECT_EQ(verify(path("b.crt"), path("ca.crt")), "ok");
}

TEST_F(ClusterCerts, TwoCasNeverVouchForEachOthersMembers) {
  make_cluster_certs(dir_, {"a"}, 30);
  const std::string other = dir_ + "-other";
  make_cluster_certs(other, {"a"}, 30);
  EXPECT_EQ(verify(other + "/a.crt", path("ca.crt")), "unable to get local issuer certificate");
}

TEST_F(ClusterCerts, RefusesToOverwriteAndWritesNothingWhenItRefuses) {
  make_cluster_certs(dir_, {"a"}, 30);
  const std::string key = contents(path("a.key"));
  try {
    make_cluster_certs(dir_, {"b", "a"}, 30);
    FAIL() << "a's files were overwritten";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("'" + path("a.key") + "' exists already"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(contents(path("a.key")), key);
  EXPECT_FALSE(std::filesystem::exists(path("b.key"))) << "b was made although a was refused";
}

TEST_F(ClusterCerts, RefusesBadNamesAndDays) {
  for (const char* name : {"", "ca", "../x", "a/b", ".hidden", "a b"}) {
    EXPECT_THROW(make_cluster_certs(dir_, {name}, 30), UsageError) << "'" << name << "'";
  }
  EXPECT_THROW(make_cluster_certs(dir_, {"a", "a"}, 30), UsageError);
  EXPECT_THROW(make_cluster_certs(dir_, {}, 30), UsageError);
  EXPECT_THROW(make_cluster_certs(dir_, {"a"}, 0), UsageError);
  EXPECT_THROW(make_cluster_certs(dir_, {"a"}, kMaxCertDays + 1), UsageError);
  EXPECT_FALSE(std::filesystem::exists(dir_));
}

}  // namespace
}  // namespace hatch::rpc

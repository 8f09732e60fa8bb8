// Mutual TLS between real processes: calls, nested calls and moves over TLS, and the peers a
// TLS node must refuse (a certificate from another CA or none, a node whose certificate does not
// name it, a peer without TLS, a handshake that stalls) while it goes on serving everyone else.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cluster_test.hpp"
#include "hatch/hatch.hpp"
#include "node_process.hpp"
#include "raw_peer.hpp"
#include "temp_certs.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

class Tls : public ClusterTest {
 protected:
  // The origin's options, over TLS as member `name`.
  Options tls_options(const std::string& name = "origin") {
    Options o = options();
    o.tls = certs_.files(name);
    return o;
  }
  // A node process over TLS as member `name`.
  std::unique_ptr<NodeProcess> tls_node(const std::string& name,
                                        const std::string& listen = "127.0.0.1:0",
                                        const std::vector<std::string>& extra = {}) {
    std::vector<std::string> flags = certs_.flags(name);
    flags.insert(flags.end(), extra.begin(), extra.end());
    return std::make_unique<NodeProcess>(secret_.path(), listen, flags);
  }
  // The node answers a TLS peer of the cluster: a component it does not host is a fine answer.
  void expect_node_answers(const std::string& address) {
    try {
      probe_call(secret_.bytes(), address, 9999, 0, certs_.files("probe"));
      ADD_FAILURE() << "the node hosts no component 9999";
    } catch (const UnknownComponent&) {
    }
  }

  TempCerts certs_{{"origin", "a", "b", "probe"}};
};

// The message of what `call` throws, which must be a RemoteError of type E.
template <class E, class F>
std::string failure_of(F call) {
  try {
    call();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("the wrong error: ") + e.what();
  }
  return "no error";
}

// A TCP connection to `address`, whose reads give up after a minute: the guard that keeps a
// broken build from hanging. Returns its descriptor.
int connect_to(const std::string& address) {
  const int fd = connect_raw(address);
  timeval guard{60, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &guard, sizeof guard);
  return fd;
}

// Reads until the node closes `fd`, then closes it. False if it is still open after the guard.
bool closed_by_node(int fd) {
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
  }
  ::close(fd);
  return n == 0 || errno == ECONNRESET;
}

// A TLS client that presents `files`' certificate (none when null), trusts any node, and then
// waits for a word from the node. Returns how the connection ended, in OpenSSL's words.
std::string impostor(const std::string& address, const TlsFiles* files) {
  const int fd = connect_to(address);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (files != nullptr) {
    SSL_CTX_use_certificate_chain_file(ctx, files->cert_file.c_str());
    SSL_CTX_use_PrivateKey_file(ctx, files->key_file.c_str(), SSL_FILETYPE_PEM);
  }
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  char byte = 0;
  std::string ended = "the node accepted it";
  if (SSL_connect(ssl) != 1 || SSL_read(ssl, &byte, 1) <= 0) {
    const char* reason = ERR_reason_error_string(ERR_peek_last_error());
    ended = reason != nullptr ? reason : "closed";
  }
  ERR_clear_error();
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  return ended;
}

// Sends a real TLS ClientHello to `address`, then nothing. Returns the descriptor.
int stall_in_tls_handshake(const std::string& address) {
  const int fd = connect_to(address);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, BIO_new(BIO_s_mem()), out);
  SSL_set_connect_state(ssl);
  SSL_do_handshake(ssl);  // writes the ClientHello into `out`, then wants the node's answer
  char* hello = nullptr;
  const long size = BIO_get_mem_data(out, &hello);
  const bool sent = size > 0 && ::write(fd, hello, static_cast<std::size_t>(size)) == size;
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  if (!sent) {
    ::close(fd);
    throw std::runtime_error("cannot send a ClientHello to " + address);
  }
  return fd;
}

TEST_F(Tls, CallsNestedCallsAndMovesWorkOverTls) {
  auto a = tls_node("a");
  auto b = tls_node("b");
  Options o = tls_options();
  o.placements["echo"] = a->address();
  o.placements["ledger-client"] = a->address();
  o.placements["ledger"] = b->address();
  o.placements["relay"] = a->address();
  Origin origin(Catalog::program(), o);
  Ref<Echo> echo = origin.get<Echo>("echo");
  EXPECT_EQ(echo->where(), a->address());
  EXPECT_EQ(echo->add(2, 3), 5);
  std::string large(8u << 20, '\0');
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>(i * 7919 >> 3);
  EXPECT_EQ(echo->text(large), large);
  // Node a calls node b: it dials b over TLS and checks that b's certificate names 127.0.0.1.
  Ref<LedgerClient> client = origin.get<LedgerClient>("ledger-client");
  EXPECT_EQ(client->add_via("k", 2), 2);
  EXPECT_EQ(client->add_via("k", 3), 5);
  // The relay on node a calls the store on the origin, over the connection the origin opened.
  Ref<Relay> relay = origin.get<Relay>("relay");
  relay->put_via("x", "y");
  EXPECT_EQ(relay->get_via("x"), "y");
  // Megabytes of state travel between the nodes and the origin.
  Ref<BigState> big = origin.get<BigState>("big-state");
  big->fill(16u << 20, 7);
  const std::uint64_t digest = big->digest();
  for (const std::string& home : {a->address(), b->address(), std::string("local")}) {
    TransitionReport r = origin.relocate("big-state", home);
    ASSERT_TRUE(r.ok) << r.to_string();
    EXPECT_EQ(big->digest(), digest) << "after the move to " << home;
  }
  EXPECT_TRUE(a->wait_for_log("mutual TLS, certificate " + certs_.files("a").cert_file))
      << a->log();
}

TEST_F(Tls, AnOriginOfAnotherClusterIsRefusedClearly) {
  auto node = tls_node("a");
  TempCerts other({"origin"});
  Options o = options();
  o.tls = other.files("origin");
  o.placements["echo"] = node->address();
  Origin origin(Catalog::program(), o);
  const std::string error = failure_of<Unauthenticated>([&] { origin.get<Echo>("echo")->where(); });
  EXPECT_NE(error.find("the TLS handshake failed: certificate verify failed"), std::string::npos)
      << error;
  EXPECT_TRUE(node->wait_for_log("refused peer 127.0.0.1:")) << node->log();
  EXPECT_NE(node->log().find("the TLS handshake failed"), std::string::npos) << node->log();
  expect_node_answers(node->address());
}

TEST_F(Tls, ANodeRefusesACertificateFromAnotherCaEvenFromAPeerThatTrustsAnyNode) {
  auto node = tls_node("a");
  TempCerts other({"intruder"});
  const TlsFiles intruder = other.files("intruder");
  EXPECT_NE(impostor(node->address(), &intruder).find("alert"), std::string::npos);
  EXPECT_TRUE(node->wait_for_log("certificate verify failed: unable to get local issuer"))
      << node->log();
  EXPECT_NE(node->log().find("refused peer 127.0.0.1:"), std::string::npos) << node->log();
  expect_node_answers(node->address());
}

TEST_F(Tls, ANodeRefusesAPeerWithoutACertificate) {
  auto node = tls_node("a");
  EXPECT_NE(impostor(node->address(), nullptr).find("alert"), std::string::npos);
  EXPECT_TRUE(node->wait_for_log("peer did not return a certificate")) << node->log();
  expect_node_answers(node->address());
}

TEST_F(Tls, ANodeWhoseCertificateDoesNotNameTheAddressDialledIsRefused) {
  // Member a's certificate names a, localhost, 127.0.0.1 and ::1, not 127.0.0.2.
  auto node = tls_node("a", "127.0.0.2:0");
  Options o = tls_options();
  o.placements["echo"] = node->address();
  Origin origin(Catalog::program(), o);
  const std::string error = failure_of<Unauthenticated>([&] { origin.get<Echo>("echo")->where(); });
  EXPECT_NE(error.find("certificate verify failed: IP address mismatch"), std::string::npos)
      << error;
}

TEST_F(Tls, APeerWithoutTlsIsRefusedAndTheNodeServesOthers) {
  auto node = tls_node("a");
  EXPECT_ANY_THROW(RawPeer(secret_.bytes(), node->address()));
  EXPECT_TRUE(node->wait_for_log("refused peer 127.0.0.1:")) << node->log();
  EXPECT_NE(node->log().find("the TLS handshake failed"), std::string::npos) << node->log();
  expect_node_answers(node->address());
}

TEST_F(Tls, AnOriginWithTlsAndANodeWithoutSayWhatIsWrong) {
  NodeProcess plain(secret_.path());
  Options o = tls_options();
  o.placements["echo"] = plain.address();
  Origin origin(Catalog::program(), o);
  const std::string error = failure_of<Unavailable>([&] { origin.get<Echo>("echo")->where(); });
  EXPECT_NE(error.find("is TLS on at both ends?"), std::string::npos) << error;
  EXPECT_TRUE(plain.wait_for_log("the peer speaks TLS, and TLS is off here")) << plain.log();
}

TEST_F(Tls, PeersStalledInTheTlsHandshakeCostAConnectionEachNotAThread) {
  // Fewer I/O threads than stalled peers: a peer that held a thread would hold them all.
  auto node = tls_node("a", "127.0.0.1:0", {"--hatch-io-threads", "4"});
  std::vector<int> stalled;
  for (int i = 0; i < 6; ++i) stalled.push_back(stall_in_tls_handshake(node->address()));
  expect_node_answers(node->address());
  // The handshake timeout (5 s) closes each of them.
  for (int fd : stalled) EXPECT_TRUE(closed_by_node(fd)) << "the node never dropped it";
  EXPECT_TRUE(node->wait_for_log("refused peer 127.0.0.1:")) << node->log();
  expect_node_answers(node->address());
}

TEST_F(Tls, ANodeGivenPartOfTheTlsFilesDoesNotStartAndSaysWhatIsMissing) {
  const std::vector<std::string> cert_only = {"--hatch-tls-cert", certs_.files("a").cert_file};
  try {
    NodeProcess node(secret_.path(), "127.0.0.1:0", cert_only);
    ADD_FAILURE() << "a node started with a certificate but no key or CA";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("missing: key (--hatch-tls-key), CA (--hatch-tls-ca)"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace hatch::test

// TLS streams over TCP sockets, through Asio's ssl::stream and OpenSSL.
#include "rpc/tls_network.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <boost/asio/ssl.hpp>

#include "hatch/error.hpp"
#include "rpc/endpoint.hpp"
#include "rpc/openssl_error.hpp"
#include "rpc/private_file.hpp"
#include "rpc/tcp_socket.hpp"

namespace hatch::rpc {

namespace {

namespace ssl = asio::ssl;
using Context = std::shared_ptr<ssl::context>;

// Why a peer's certificate did not verify (an X509_V_ERR_* value): OpenSSL's own error says
// only "certificate verify failed".
class VerifyCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "hatch.tls.verify"; }
  std::string message(int result) const override {
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(result);
  }
};

const VerifyCategory& verify_category() {
  static const VerifyCategory category;
  return category;
}

// A key file with a passphrase is refused instead of prompting on the terminal.
int no_passphrase(char*, int, int, void*) {
  return 0;
}

void check_readable(const std::string& path, const std::string& what) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) {
    throw UsageError("cannot read the " + what + " '" + path + "': " + std::strerror(errno));
  }
  std::fclose(file);
}

void check_complete(const TlsFiles& files) {
  std::string missing;
  for (const auto& [file, what] : {std::pair{&files.cert_file, "certificate (--hatch-tls-cert)"},
                                   std::pair{&files.key_file, "key (--hatch-tls-key)"},
                                   std::pair{&files.ca_file, "CA (--hatch-tls-ca)"}}) {
    if (file->empty()) missing += std::string(missing.empty() ? "" : ", ") + what;
  }
  if (!missing.empty()) {
    throw UsageError(
        "TLS needs three files, all or none: a certificate, its key and the CA (flags "
        "--hatch-tls-cert, --hatch-tls-key, --hatch-tls-ca; TOML tls_cert, tls_key, tls_ca); "
        "missing: " +
        missing);
  }
}

// This process's certificate must verify against the CA, or every peer would refuse it: say
// so now, rather than at each connection.
void check_own_certificate(SSL_CTX* raw, const TlsFiles& files) {
  STACK_OF(X509)* chain = nullptr;
  SSL_CTX_get0_chain_certs(raw, &chain);
  X509_STORE_CTX* store = X509_STORE_CTX_new();
  const bool verified = store != nullptr &&
                        X509_STORE_CTX_init(store, SSL_CTX_get_cert_store(raw),
                                            SSL_CTX_get0_certificate(raw), chain) == 1 &&
                        X509_verify_cert(store) == 1;
  const int result = store != nullptr ? X509_STORE_CTX_get_error(store) : X509_V_ERR_OUT_OF_MEM;
  X509_STORE_CTX_free(store);
  ERR_clear_error();
  if (!verified) {
    throw UsageError("the TLS certificate in '" + files.cert_file +
                     "' does not verify against the CA in '" + files.ca_file +
                     "': " + X509_verify_cert_error_string(result));
  }
}

Context make_context(const TlsFiles& files) {
  check_complete(files);
  check_readable(files.cert_file, "TLS certificate file");
  check_readable(files.key_file, "TLS key file");
  check_readable(files.ca_file, "TLS CA file");
  refuse_shared_file(files.key_file, "the TLS key file");
  auto context = std::make_shared<ssl::context>(ssl::context::tls);
  SSL_CTX* raw = context->native_handle();
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  // TLS 1.2 with forward secrecy and authenticated encryption only (1.3 has nothing else).
  SSL_CTX_set_cipher_list(raw, "ECDHE+AESGCM:ECDHE+CHACHA20");
  // Connections live long: no session resumption, so no tickets or cache. An end of stream
  // without close_notify is an end like any other: frames carry their length, so a cut stream
  // never passes for a whole frame.
  SSL_CTX_set_options(raw, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION |
                               SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_num_tickets(raw, 0);
  SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_default_passwd_cb(raw, no_passphrase);
  if (SSL_CTX_use_certificate_chain_file(raw, files.cert_file.c_str()) != 1) {
    throw UsageError("the TLS certificate file '" + files.cert_file +
                     "' holds no PEM certificate (" + openssl_error() + ")");
  }
  // Loading the key also checks it against the certificate.
  if (SSL_CTX_use_PrivateKey_file(raw, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    const int reason = ERR_GET_REASON(ERR_peek_last_error());
    if (reason == X509_R_KEY_VALUES_MISMATCH || reason == X509_R_KEY_TYPE_MISMATCH) {
      ERR_clear_error();
      throw UsageError("the TLS key in '" + files.key_file +
                       "' is not the key of the certificate in '" + files.cert_file + "'");
    }
    throw UsageError("the TLS key file '" + files.key_file +
                     "' holds no PEM private key without a passphrase (" + openssl_error() + ")");
  }
  if (SSL_CTX_load_verify_locations(raw, files.ca_file.c_str(), nullptr) != 1) {
    throw UsageError("the TLS CA file '" + files.ca_file + "' holds no PEM certificate (" +
                     openssl_error() + ")");
  }
  check_own_certificate(raw, files);
  context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  return context;
}

class TlsStream final : public Stream {
 public:
  // `socket`'s executor is a strand of this stream's own; completions go to `io`.
  TlsStream(tcp::socket socket, Context context, ssl::stream_base::handshake_type side,
            asio::any_io_executor io)
      : context_(std::move(context)),
        io_(std::move(io)),
        strand_(socket.get_executor()),
        side_(side),
        ssl_(std::move(socket), *context_) {}
  ~TlsStream() override {
    boost::system::error_code ignored;
    ssl_.lowest_layer().close(ignored);
  }

  // Makes the handshake check that the peer's certificate names `host`, a DNS name or an IP
  // address. Call before async_handshake().
  void expect_host(const std::string& host) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_.native_handle());
    boost::system::error_code not_ip;
    asio::ip::make_address(host, not_ip);
    const int set = not_ip ? X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0)
                           : X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    if (set != 1) {
      throw ConnectFailure(StatusCode::unavailable, "cannot check certificates for the host '" +
                                                        host + "': " + openssl_error());
    }
  }

  asio::any_io_executor executor() override { return io_; }
  void async_handshake(Handler done) override {
    asio::dispatch(strand_, [this, done = off_strand(std::move(done))]() mutable {
      ssl_.async_handshake(side_,
                           [this, done = std::move(done)](const boost::system::error_code& ec) {
                             done(explain(ec), 0);
                           });
    });
  }
  void async_read_some(asio::mutable_buffer into, Handler done) override {
    asio::dispatch(strand_, [this, into, done = off_strand(std::move(done))]() mutable {
      ssl_.async_read_some(into, std::move(done));
    });
  }
  void async_read(asio::mutable_buffer into, Handler done) override {
    asio::dispatch(strand_, [this, into, done = off_strand(std::move(done))]() mutable {
      asio::async_read(ssl_, into, std::move(done));
    });
  }
  // The TLS engine is the strand's alone, and a write that it has begun must finish before the
  // next: nothing can be written here and now. The connection sends everything with
  // async_write instead.
  std::size_t write_now(std::span<const asio::const_buffer>,
                        boost::system::error_code& ec) override {
    ec = {};
    return 0;
  }
  void async_write(std::span<const asio::const_buffer> buffers, Handler done) override {
    asio::dispatch(strand_, [this, buffers, done = off_strand(std::move(done))]() mutable {
      asio::async_write(ssl_, buffers, std::move(done));
    });
  }
  void close() override {
    boost::system::error_code ignored;
    ssl_.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
  }

 private:
  // `done`, run by the I/O pool after the strand's work, instead of on the strand. Deferred, not
  // posted: it runs next on this thread, rather than waking another to run it.
  Handler off_strand(Handler done) {
    return [io = io_, done = std::move(done)](const boost::system::error_code& ec,
                                              std::size_t n) mutable {
      asio::defer(io, [done = std::move(done), ec, n] { done(ec, n); });
    };
  }

  // A handshake refused for the peer's certificate says why (expired, unknown CA, wrong name).
  // Runs on the strand.
  boost::system::error_code explain(const boost::system::error_code& ec) {
    if (!ec) return ec;
    const long result = SSL_get_verify_result(ssl_.native_handle());
    return result == X509_V_OK
               ? ec
               : boost::system::error_code(static_cast<int>(result), verify_category());
  }

  const Context context_;  // outlives ssl_, which uses it
  const asio::any_io_executor io_;
  const asio::any_io_executor strand_;
  const ssl::stream_base::handshake_type side_;
  ssl::stream<tcp::socket> ssl_;
};

class TlsAcceptor final : public Acceptor {
 public:
  TlsAcceptor(asio::io_context& io, const std::string& address, Context context)
      : io_(io),
        context_(std::move(context)),
        acceptor_(open_acceptor(io, address)),
        address_(format_endpoint(acceptor_.local_endpoint())) {}

  void async_accept(AcceptHandler done) override {
    const asio::any_io_executor strand = asio::make_strand(io_);
    acceptor_.async_accept(strand, [this, done = std::move(done)](
                                       const boost::system::error_code& ec, tcp::socket socket) {
      if (ec) {
        done(ec, nullptr, {});
        return;
      }
      tune_socket(socket);
      const std::string from = peer_of(socket);
      done(ec,
           std::make_unique<TlsStream>(std::move(socket), context_, ssl::stream_base::server,
                                       io_.get_executor()),
           from);
    });
  }
  std::string address() const override { return address_; }
  void close() override {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }

 private:
  asio::io_context& io_;
  const Context context_;
  tcp::acceptor acceptor_;
  const std::string address_;
};

class TlsNetwork final : public Network {
 public:
  explicit TlsNetwork(Context context) : context_(std::move(context)) {}

  std::unique_ptr<Stream> connect(asio::io_context& io, const std::string& address,
                                  std::chrono::steady_clock::time_point deadline) override {
    auto stream =
        std::make_unique<TlsStream>(dial(io, asio::make_strand(io), address, deadline), context_,
                                    ssl::stream_base::client, io.get_executor());
    stream->expect_host(split_address(address).first);
    return stream;
  }

  std::unique_ptr<Acceptor> listen(asio::io_context& io, const std::string& address) override {
    return std::make_unique<TlsAcceptor>(io, address, context_);
  }

 private:
  const Context context_;
};

}  // namespace

std::shared_ptr<Network> tls_network(const TlsFiles& files) {
  return std::make_shared<TlsNetwork>(make_context(files));
}

void check_tls_files(const TlsFiles& files) {
  make_context(files);
}

std::shared_ptr<Network> host_network(const TlsFiles& files) {
  return files.enabled() ? tls_network(files) : tcp_network();
}

bool is_tls_error(const boost::system::error_code& ec) {
  return ec.category() == asio::error::get_ssl_category() || ec.category() == verify_category();
}

}  // namespace hatch::rpc

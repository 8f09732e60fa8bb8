#include "rpc/handshake.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "hatch/internal/msgpack.hpp"
#include "hatch/internal/wire_buffer.hpp"
#include "rpc/tls_network.hpp"

namespace hatch::rpc {

namespace {

// 2: frame headers carry tail_bytes (7 fields). A peer of version 1 cannot read them, and is
// refused as a malformed handshake.
constexpr std::uint32_t kProtocolVersion = 2;
constexpr std::size_t kNonceBytes = 32;
using Bytes = std::vector<unsigned char>;

Bytes random_nonce() {
  Bytes nonce(kNonceBytes);
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    throw HandshakeError("OpenSSL could not produce random bytes for a nonce");
  }
  return nonce;
}

Bytes mac(const ClusterSecret& secret, std::string_view label, const Bytes& a, const Bytes& b) {
  Bytes message(label.begin(), label.end());
  message.insert(message.end(), a.begin(), a.end());
  message.insert(message.end(), b.begin(), b.end());
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), secret.bytes().data(), static_cast<int>(secret.bytes().size()),
           message.data(), message.size(), out.data(), &len) == nullptr) {
    throw HandshakeError("OpenSSL HMAC-SHA256 failed");
  }
  out.resize(len);
  return out;
}

bool same_mac(const Bytes& a, const Bytes& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Runs one operation of a Stream, started by `start` with its completion handler, in a
// coroutine: its byte count, or a thrown boost::system::system_error. TLS refusing the peer, or
// refused by it, is a HandshakeError: a failure to authenticate.
template <class Start>
asio::awaitable<std::size_t> await_stream(Start start) {
  try {
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable),
                                            void(boost::system::error_code, std::size_t)>(
        [](auto handler, Start start) {
          // Stream takes a copyable handler; the coroutine's is move-only.
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          start([shared](const boost::system::error_code& ec, std::size_t n) { (*shared)(ec, n); });
        },
        asio::use_awaitable, std::move(start));
  } catch (const boost::system::system_error& e) {
    if (is_tls_error(e.code()))
      throw HandshakeError("the TLS handshake failed: " + e.code().message());
    throw;
  }
}

// The transport's own handshake (TLS's), which comes first.
asio::awaitable<void> transport_handshake(Stream& stream) {
  co_await await_stream(
      [&stream](Stream::Handler done) { stream.async_handshake(std::move(done)); });
}

asio::awaitable<void> read_exact(Stream& stream, asio::mutable_buffer into) {
  co_await await_stream(
      [&stream, into](Stream::Handler done) { stream.async_read(into, std::move(done)); });
}

template <class... T>
asio::awaitable<void> write_frame(Stream& stream, FrameKind kind, const T&... fields) {
  internal::WireBuffer body;
  msgpack::packer<internal::WireBuffer> pk(body);
  pk.pack_array(sizeof...(T));
  (pk.pack(fields), ...);
  FrameHeader header;
  header.kind = kind;
  internal::WireLimits limits;
  limits.max_frame_bytes = kMaxHandshakeFrame;
  std::string head = encode_head(header, body.bytes().size(), limits);
  std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(body.bytes())};
  co_await await_stream(
      [&stream, &buffers](Stream::Handler done) { stream.async_write(buffers, std::move(done)); });
}

struct HandshakeFrame {
  FrameKind kind;
  msgpack::object_handle body;
};

asio::awaitable<HandshakeFrame> read_frame(Stream& stream) {
  std::array<char, kLengthPrefixBytes> prefix{};
  co_await read_exact(stream, asio::buffer(prefix));
  const std::uint32_t len = decode_length(prefix.data());
  if (len > kMaxHandshakeFrame) {
    // 0x16 0x03: a TLS handshake record (TLS 1.x), sent to a process without TLS.
    const bool tls = prefix[0] == 0x16 && prefix[1] == 0x03;
    throw HandshakeError("handshake frame of " + std::to_string(len) + " bytes is over the limit" +
                         (tls ? " (the peer speaks TLS, and TLS is off here)" : ""));
  }
  std::vector<char> frame(len);
  co_await read_exact(stream, asio::buffer(frame));
  DecodedFrame decoded;
  try {
    decoded = decode_frame(frame);
  } catch (const FrameError& e) {
    throw HandshakeError(std::string("malformed handshake frame: ") + e.what());
  } catch (const msgpack::insufficient_bytes&) {
    // The whole frame is here: a header cut short is as malformed as any.
    throw HandshakeError("malformed handshake frame: it ends inside its header");
  }
  HandshakeFrame out{decoded.header.kind, {}};
  try {
    msgpack::unpack(out.body, decoded.body.data(), decoded.body.size(), nullptr, nullptr,
                    msgpack::unpack_limit(8, 0, 256, 256, 0, 2));
  } catch (const std::exception& e) {
    throw HandshakeError(std::string("malformed handshake body: ") + e.what());
  }
  if (out.body.get().type != msgpack::type::ARRAY) {
    throw HandshakeError("malformed handshake body: not an array");
  }
  co_return out;
}

// Field `i` of a handshake body, converted to T, or a HandshakeError naming `what`.
template <class T>
T field(const HandshakeFrame& f, std::uint32_t i, const char* what) {
  const msgpack::object& o = f.body.get();
  if (i >= o.via.array.size) throw HandshakeError(std::string("handshake lacks the ") + what);
  try {
    return o.via.array.ptr[i].as<T>();
  } catch (const msgpack::type_error&) {
    throw HandshakeError(std::string("handshake has a malformed ") + what);
  }
}

// `text` as it may appear in a log line: bytes outside printable ASCII as \xNN, so that a
// peer cannot forge lines, and no more than 64 of them.
std::string printable(const std::string& text) {
  constexpr std::size_t kMost = 64;
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < kMost; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (text.size() > kMost) out += "...";
  return out;
}

bool is_printable(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
}

}  // namespace

asio::awaitable<PeerIdentity> handshake_as_server(Stream& stream, const ClusterSecret& secret) {
  co_await transport_handshake(stream);
  HandshakeFrame hello = co_await read_frame(stream);
  if (hello.kind != FrameKind::hello) throw HandshakeError("the peer did not start with hello");
  const auto version = field<std::uint32_t>(hello, 0, "protocol version");
  PeerIdentity peer{field<std::string>(hello, 1, "role"), field<std::string>(hello, 2, "name")};
  const Bytes client_nonce = field<Bytes>(hello, 3, "nonce");
  peer.take_over = field<bool>(hello, 4, "take-over flag");
  if (version != kProtocolVersion) {
    const std::string reason = "protocol version " + std::to_string(version) + " is not supported";
    co_await write_frame(stream, FrameKind::reject, reason);
    throw HandshakeError(reason);
  }
  if (peer.role != "origin" && peer.role != "node") {
    throw HandshakeError("the peer claims the unknown role '" + printable(peer.role) + "'");
  }
  if (!is_printable(peer.name)) {
    throw HandshakeError("the peer's name '" + printable(peer.name) +
                         "' has characters that are not printable");
  }
  if (client_nonce.size() != kNonceBytes)
    throw HandshakeError("the peer's nonce has the wrong size");
  const Bytes server_nonce = random_nonce();
  co_await write_frame(stream, FrameKind::challenge, server_nonce);
  HandshakeFrame proof = co_await read_frame(stream);
  if (proof.kind != FrameKind::proof) throw HandshakeError("the peer did not answer the challenge");
  if (!same_mac(field<Bytes>(proof, 0, "proof"),
                mac(secret, "hatch/1 client", client_nonce, server_nonce))) {
    co_await write_frame(stream, FrameKind::reject, std::string("wrong cluster secret"));
    throw HandshakeError("the peer did not prove the cluster secret (wrong or missing secret)");
  }
  co_await write_frame(stream, FrameKind::accept,
                       mac(secret, "hatch/1 server", server_nonce, client_nonce));
  co_return peer;
}

asio::awaitable<void> handshake_as_client(Stream& stream, const ClusterSecret& secret,
                                          const PeerIdentity& self) {
  try {
    co_await transport_handshake(stream);
  } catch (const boost::system::system_error& e) {
    // The peer hung up before TLS began: most often, one without TLS that refused our hello.
    throw boost::system::system_error(
        e.code(), "the connection ended during the TLS handshake (is TLS on at both ends?)");
  }
  const Bytes client_nonce = random_nonce();
  co_await write_frame(stream, FrameKind::hello, kProtocolVersion, self.role, self.name,
                       client_nonce, self.take_over);
  HandshakeFrame challenge = co_await read_frame(stream);
  if (challenge.kind == FrameKind::reject) {
    throw HandshakeError("refused: " + field<std::string>(challenge, 0, "reason"));
  }
  if (challenge.kind != FrameKind::challenge) throw HandshakeError("the server sent no challenge");
  const Bytes server_nonce = field<Bytes>(challenge, 0, "nonce");
  if (server_nonce.size() != kNonceBytes)
    throw HandshakeError("the server's nonce has the wrong size");
  co_await write_frame(stream, FrameKind::proof,
                       mac(secret, "hatch/1 client", client_nonce, server_nonce));
  HandshakeFrame answer = co_await read_frame(stream);
  if (answer.kind == FrameKind::reject) {
    throw HandshakeError("refused: " + field<std::string>(answer, 0, "reason"));
  }
  if (answer.kind != FrameKind::accept ||
      !same_mac(field<Bytes>(answer, 0, "proof"),
                mac(secret, "hatch/1 server", server_nonce, client_nonce))) {
    throw HandshakeError("the server did not prove the cluster secret");
  }
}

}  // namespace hatch::rpc

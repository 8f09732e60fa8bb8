// Mutual authentication of a new connection by HMAC-SHA256 challenge-response, after the
// transport's own handshake (Stream::async_handshake: TLS's when TLS is on).
//
//   client → hello     {version, role, name, client_nonce, take_over}
//   server → challenge {server_nonce}
//   client → proof     {HMAC(secret, "hatch/1 client" | client_nonce | server_nonce)}
//   server → accept    {HMAC(secret, "hatch/1 server" | server_nonce | client_nonce)}
//            or reject {reason}, then close
//
// The server proves itself only after the client has, so an unauthenticated client learns
// nothing it could attack offline. Nonces are 32 random bytes from OpenSSL; MACs are compared
// in constant time. Handshake frames are bounded to kMaxHandshakeFrame bytes.
#pragma once

#include <stdexcept>
#include <string>

#include "rpc/asio.hpp"
#include "rpc/cluster_secret.hpp"
#include "rpc/connection.hpp"
#include "rpc/stream.hpp"

namespace hatch::rpc {

inline constexpr std::uint32_t kMaxHandshakeFrame = 4096;

// The peer failed to authenticate (the secret, or over TLS its certificate), or broke the
// handshake. what() says which.
class HandshakeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Runs the server side on a freshly accepted stream. Returns who the peer says it is.
// Throws HandshakeError (after telling the peer why) or boost::system::system_error.
asio::awaitable<PeerIdentity> handshake_as_server(Stream& stream, const ClusterSecret& secret);

// Runs the client side on a freshly connected stream, announcing `self`.
// Throws HandshakeError or boost::system::system_error.
asio::awaitable<void> handshake_as_client(Stream& stream, const ClusterSecret& secret,
                                          const PeerIdentity& self);

}  // namespace hatch::rpc

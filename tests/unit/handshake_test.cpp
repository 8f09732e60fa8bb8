// The server side of the handshake against clients that announce what no real peer would.
#include "rpc/handshake.hpp"

#include <future>

#include <gtest/gtest.h>

#include "stream_pair.hpp"

namespace hatch::rpc {
namespace {

const ClusterSecret kSecret = ClusterSecret::from_bytes("a secret of the handshake tests");

// Runs both sides; returns why the server refused the client, or "" if it let it in.
std::string refusal_of(const PeerIdentity& claimed) {
  StreamPair p(MemoryNetwork::create());
  Stream* client = p.client.get();
  Stream* server = p.server.get();
  std::future<void> c = asio::co_spawn(
      p.io.context(),
      [client, claimed]() -> asio::awaitable<void> {
        co_await handshake_as_client(*client, kSecret, claimed);
      },
      asio::use_future);
  std::future<PeerIdentity> s = asio::co_spawn(
      p.io.context(),
      [server]() -> asio::awaitable<PeerIdentity> {
        co_return co_await handshake_as_server(*server, kSecret);
      },
      asio::use_future);
  std::string refused;
  try {
    s.get();
  } catch (const HandshakeError& e) {
    refused = e.what();
  }
  server->close();
  try {
    c.get();
  } catch (const std::exception&) {
  }
  return refused;
}

TEST(Handshake, LetsInAPeerThatProvesTheSecret) {
  EXPECT_EQ(refusal_of(PeerIdentity{"node", "127.0.0.1:7001"}), "");
}

TEST(Handshake, ARoleOrNameThatCouldForgeLogLinesIsRefusedAndShownEscaped) {
  const std::string role = refusal_of(PeerIdentity{"node\n[error] forged line", "x"});
  EXPECT_EQ(role, "the peer claims the unknown role 'node\\x0a[error] forged line'");
  const std::string name = refusal_of(PeerIdentity{"node", "a\r\nb"});
  EXPECT_EQ(name, "the peer's name 'a\\x0d\\x0ab' has characters that are not printable");
  const std::string long_name = refusal_of(PeerIdentity{"node", std::string(100, 'n') + "\n"});
  EXPECT_EQ(long_name, "the peer's name '" + std::string(64, 'n') +
                           "...' has characters that are not printable");
}

}  // namespace
}  // namespace hatch::rpc

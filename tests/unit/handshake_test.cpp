// The server side of the handshake against clients that announce what no real peer would.
#include "rpc/handshake.hpp"

#include <array>
#include <future>
#include <string>

#include <gtest/gtest.h>

#include "stream_pair.hpp"

namespace hatch::rpc {
namespace {

const ClusterSecret kSecret = ClusterSecret::from_bytes("a secret of the handshake tests");

// Runs the server side on `p`; returns why it refused the client, or "" if it let it in. A
// failure other than a HandshakeError is returned as "not a HandshakeError: ...".
std::string server_refusal(StreamPair& p) {
  Stream* server = p.server.get();
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
  } catch (const std::exception& e) {
    refused = std::string("not a HandshakeError: ") + e.what();
  }
  server->close();
  return refused;
}

// Runs both sides, the client claiming to be `claimed`.
std::string refusal_of(const PeerIdentity& claimed) {
  StreamPair p(MemoryNetwork::create());
  Stream* client = p.client.get();
  std::future<void> c = asio::co_spawn(
      p.io.context(),
      [client, claimed]() -> asio::awaitable<void> {
        co_await handshake_as_client(*client, kSecret, claimed);
      },
      asio::use_future);
  const std::string refused = server_refusal(p);
  try {
    c.get();
  } catch (const std::exception&) {
  }
  return refused;
}

// The server side against a client that sends `bytes`, whatever they are, and then waits.
std::string refusal_of_bytes(const std::string& bytes) {
  StreamPair p(MemoryNetwork::create());
  std::promise<void> written;
  std::array<asio::const_buffer, 1> buffers{asio::buffer(bytes)};
  p.client->async_write(
      buffers, [&](const boost::system::error_code&, std::size_t) { written.set_value(); });
  written.get_future().get();
  return server_refusal(p);
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

// Found by tests/fuzz/handshake_fuzz (with a frame of no bytes at all): a whole frame whose
// header is cut short escaped as msgpack::insufficient_bytes, which the listener does not catch,
// so the connection was dropped without a log line and its place among the connections still
// authenticating was never given back.
TEST(Handshake, AFrameWhoseHeaderIsCutShortIsRefusedAsMalformed) {
  // A frame of three bytes: the first three of a header of seven fields.
  const std::string cut = refusal_of_bytes(std::string("\0\0\0\3\x97\x03\x00", 7));
  EXPECT_EQ(cut.rfind("malformed handshake frame", 0), 0u) << cut;
}

}  // namespace
}  // namespace hatch::rpc

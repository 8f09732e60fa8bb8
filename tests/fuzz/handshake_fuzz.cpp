// Fuzzes the server side of the handshake (rpc/handshake.hpp), the only code an unauthenticated
// peer reaches: the input is everything the peer sends, served by an in-memory stream that ends
// where the input ends and keeps what the server writes. One thread, one io_context per input.
//
// Properties, beyond no crash, no undefined behaviour and no leak:
// - the server fails only with HandshakeError, or a stream error (the input ran out);
// - it never lets the peer in: the peer cannot know the server's random nonce, so it cannot prove
//   the secret, and the server writes no accept;
// - it reads at most two frames (hello, proof) of at most kMaxHandshakeFrame bytes;
// - what it writes is well-formed frames within kMaxHandshakeFrame: a challenge of one 32-byte
//   nonce, after which the peer's proof is awaited, or a reject with its reason.
// The accepting path, which needs the server's nonce, is covered by tests/unit/handshake_test.cpp.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "hatch/internal/msgpack.hpp"
#include "rpc/handshake.hpp"

namespace hatch::fuzz {
namespace {

// A stream whose peer has sent `input` and then closed; what is written to it is kept.
class ScriptedStream final : public rpc::Stream {
 public:
  ScriptedStream(asio::io_context& io, std::span<const char> input) : io_(io), input_(input) {}

  asio::any_io_executor executor() override { return io_.get_executor(); }

  void async_read_some(asio::mutable_buffer into, Handler done) override {
    const std::size_t n = take(into);
    finish(std::move(done), n == 0 && into.size() > 0 ? asio::error::eof : no_error(), n);
  }
  void async_read(asio::mutable_buffer into, Handler done) override {
    const std::size_t n = take(into);
    finish(std::move(done), n < into.size() ? asio::error::eof : no_error(), n);
  }
  std::size_t write_now(std::span<const asio::const_buffer> buffers,
                        boost::system::error_code& ec) override {
    ec = {};
    return keep(buffers);
  }
  void async_write(std::span<const asio::const_buffer> buffers, Handler done) override {
    finish(std::move(done), no_error(), keep(buffers));
  }
  void close() override { closed_ = true; }

  std::size_t consumed() const { return consumed_; }
  const std::string& written() const { return written_; }

 private:
  static boost::system::error_code no_error() { return {}; }

  std::size_t take(asio::mutable_buffer into) {
    if (closed_) return 0;
    const std::size_t n = std::min(into.size(), input_.size() - consumed_);
    if (n > 0) std::memcpy(into.data(), input_.data() + consumed_, n);
    consumed_ += n;
    return n;
  }
  std::size_t keep(std::span<const asio::const_buffer> buffers) {
    std::size_t n = 0;
    for (const asio::const_buffer& b : buffers) {
      written_.append(static_cast<const char*>(b.data()), b.size());
      n += b.size();
    }
    return n;
  }
  // Completions run from the io_context, never inside the call that starts the operation.
  void finish(Handler done, boost::system::error_code ec, std::size_t n) {
    asio::post(io_, [done = std::move(done), ec, n] { done(ec, n); });
  }

  asio::io_context& io_;
  std::span<const char> input_;
  std::size_t consumed_ = 0;
  bool closed_ = false;
  std::string written_;
};

// Checks the frames the server wrote.
void check_written(const std::string& out) {
  std::size_t pos = 0;
  bool challenged = false;
  while (pos < out.size()) {
    check(out.size() - pos >= rpc::kLengthPrefixBytes, "the server writes whole length prefixes");
    const std::uint32_t len = rpc::decode_length(out.data() + pos);
    check(len <= rpc::kMaxHandshakeFrame, "the server writes frames within the handshake limit");
    check(out.size() - pos - rpc::kLengthPrefixBytes >= len, "the server writes whole frames");
    const rpc::DecodedFrame frame =
        rpc::decode_frame({out.data() + pos + rpc::kLengthPrefixBytes, len});
    pos += rpc::kLengthPrefixBytes + len;
    const msgpack::object_handle body = msgpack::unpack(frame.body.data(), frame.body.size());
    const msgpack::object& fields = body.get();
    check(fields.type == msgpack::type::ARRAY && fields.via.array.size == 1,
          "a server frame carries one field");
    const msgpack::object& field = fields.via.array.ptr[0];
    check(frame.header.kind != rpc::FrameKind::accept, "no peer is accepted without the secret");
    if (frame.header.kind == rpc::FrameKind::challenge) {
      check(!challenged, "the server challenges once");
      check(field.type == msgpack::type::BIN && field.via.bin.size == 32,
            "a challenge is a nonce of 32 bytes");
      challenged = true;
    } else {
      check(frame.header.kind == rpc::FrameKind::reject && field.type == msgpack::type::STR,
            "the server writes only a challenge or a reject with its reason");
      check(pos == out.size(), "a reject is the server's last frame");
    }
  }
}

}  // namespace
}  // namespace hatch::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hatch;
  static const rpc::ClusterSecret secret =
      rpc::ClusterSecret::from_bytes("the cluster secret of the handshake fuzzer");
  asio::io_context io;
  fuzz::ScriptedStream stream(io, {reinterpret_cast<const char*>(data), size});
  std::optional<std::exception_ptr> outcome;  // set when the server's side ends
  asio::co_spawn(io, rpc::handshake_as_server(stream, secret),
                 [&](std::exception_ptr e, const rpc::PeerIdentity&) { outcome = e; });
  io.run();
  fuzz::check(outcome.has_value(), "the handshake ends when the peer's bytes do");
  fuzz::check(*outcome != nullptr, "the server lets in no peer that has not proven the secret");
  try {
    std::rethrow_exception(*outcome);
  } catch (const rpc::HandshakeError&) {
  } catch (const boost::system::system_error&) {
  } catch (...) {
    fuzz::check(false, "the server fails only with HandshakeError or a stream error");
  }
  fuzz::check(stream.consumed() <= 2 * (rpc::kLengthPrefixBytes + rpc::kMaxHandshakeFrame),
              "the server reads at most two frames of the handshake limit");
  fuzz::check_written(stream.written());
  return 0;
}

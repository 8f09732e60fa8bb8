#include "capnp_peer.hpp"

#include "peer_process.hpp"

#include <stdexcept>

#include <capnp/ez-rpc.h>
#include <kj/async.h>

#include "echo.capnp.h"

namespace hatch::bench {

namespace {

class EchoServer final : public capnp_echo::Echo::Server {
 protected:
  kj::Promise<void> echo(EchoContext context) override {
    context.getResults().setPayload(context.getParams().getPayload());
    return kj::READY_NOW;
  }
};

}  // namespace

struct CapnpEchoClient::Impl {
  explicit Impl(std::uint16_t port)
      : client("127.0.0.1", port), echo(client.getMain<capnp_echo::Echo>()) {}

  capnp::EzRpcClient client;
  capnp_echo::Echo::Client echo;
};

CapnpEchoClient::CapnpEchoClient(std::uint16_t port) : impl_(std::make_unique<Impl>(port)) {
  echo("connect");
}

CapnpEchoClient::~CapnpEchoClient() = default;

void CapnpEchoClient::echo(const std::string& payload) {
  auto request = impl_->echo.echoRequest();
  request.setPayload(
      kj::arrayPtr(reinterpret_cast<const kj::byte*>(payload.data()), payload.size()));
  const auto response = request.send().wait(impl_->client.getWaitScope());
  if (response.getPayload().size() != payload.size()) {
    throw std::runtime_error("capnp echo: wrong size back");
  }
}

void serve_capnp_echo() {
  capnp::EzRpcServer server(kj::heap<EchoServer>(), "127.0.0.1", 0);
  auto& wait_scope = server.getWaitScope();
  report_port(server.getPort().wait(wait_scope));
  kj::NEVER_DONE.wait(wait_scope);
}

}  // namespace hatch::bench

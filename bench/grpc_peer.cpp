#include "grpc_peer.hpp"

#include "peer_process.hpp"

#include <chrono>
#include <stdexcept>

#include <grpcpp/grpcpp.h>

#include "echo.grpc.pb.h"

namespace hatch::bench {

namespace {

class EchoService final : public grpc_echo::Echo::Service {
  grpc::Status Echo(grpc::ServerContext*, const grpc_echo::Blob* request,
                    grpc_echo::Blob* reply) override {
    reply->set_payload(request->payload());
    return grpc::Status::OK;
  }
};

}  // namespace

struct GrpcEchoClient::Impl {
  explicit Impl(std::uint16_t port)
      : channel(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                    grpc::InsecureChannelCredentials())),
        stub(grpc_echo::Echo::NewStub(channel)) {}

  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc_echo::Echo::Stub> stub;
};

GrpcEchoClient::GrpcEchoClient(std::uint16_t port) : impl_(std::make_unique<Impl>(port)) {
  if (!impl_->channel->WaitForConnected(std::chrono::system_clock::now() +
                                        std::chrono::seconds(10))) {
    throw std::runtime_error("grpc echo: cannot connect");
  }
  echo("connect");
}

GrpcEchoClient::~GrpcEchoClient() = default;

void GrpcEchoClient::echo(const std::string& payload) {
  grpc_echo::Blob request;
  request.set_payload(payload);
  grpc_echo::Blob reply;
  grpc::ClientContext context;
  const grpc::Status status = impl_->stub->Echo(&context, request, &reply);
  if (!status.ok()) throw std::runtime_error("grpc echo: " + status.error_message());
  if (reply.payload().size() != payload.size()) {
    throw std::runtime_error("grpc echo: wrong size back");
  }
}

void serve_grpc_echo() {
  EchoService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  const std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) throw std::runtime_error("cannot listen");
  report_port(static_cast<unsigned>(port));
  server->Wait();
  throw std::runtime_error("server stopped");
}

}  // namespace hatch::bench

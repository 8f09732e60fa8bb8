// A connected pair of in-memory streams for tests below the level of connections: a client
// stream from host "client" and the server stream "server" accepted for it.
#pragma once

#include <future>
#include <memory>

#include "rpc/io_pool.hpp"
#include "rpc/memory_network.hpp"

namespace hatch::rpc {

struct StreamPair {
  explicit StreamPair(const std::shared_ptr<MemoryNetwork>& net)
      : StreamPair(*net->host("server"), *net->host("client"), "server:0") {}
  // The server stream accepted on `server_net` at `listen`, for a client stream of `client_net`.
  StreamPair(Network& server_net, Network& client_net, const std::string& listen) : io(2) {
    acceptor = server_net.listen(io.context(), listen);
    std::promise<std::unique_ptr<Stream>> accepted;
    acceptor->async_accept([&](const boost::system::error_code&, std::unique_ptr<Stream> s,
                               const std::string&) { accepted.set_value(std::move(s)); });
    client = client_net.connect(io.context(), acceptor->address(),
                                std::chrono::steady_clock::now() + std::chrono::seconds(30));
    server = accepted.get_future().get();
  }
  IoPool io;
  std::unique_ptr<Acceptor> acceptor;
  std::unique_ptr<Stream> client;
  std::unique_ptr<Stream> server;
};

}  // namespace hatch::rpc

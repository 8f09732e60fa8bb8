#include "runtime/fleet.hpp"

#include <spdlog/spdlog.h>

#include "hatch/error.hpp"

namespace hatch::runtime {

Fleet::Fleet(std::shared_ptr<rpc::Network> network, asio::io_context& io,
             const rpc::ClusterSecret* secret, Settings settings,
             rpc::Connection::RequestHandler on_request)
    : network_(std::move(network)),
      io_(io),
      secret_(secret),
      settings_(std::move(settings)),
      on_request_(std::move(on_request)) {}

void Fleet::require_secret(const std::string& address) const {
  if (secret_ == nullptr) {
    throw UsageError("component placed on node " + address +
                     " but no cluster secret is set (--hatch-secret-file or Options::secret)");
  }
}

std::shared_ptr<rpc::Peer> Fleet::peer(const std::string& address) {
  require_secret(address);
  MutexLock lock(mu_);
  auto& peer = peers_[address];
  if (!peer) {
    peer = std::make_shared<rpc::Peer>(network_, io_, address, *secret_, settings_.self,
                                       settings_.connection, on_request_);
  }
  return peer;
}

Home& Fleet::home(const std::string& address) {
  std::shared_ptr<rpc::Peer> node = peer(address);
  MutexLock lock(mu_);
  auto& home = homes_[address];
  if (!home) home = make_remote_home(std::move(node), settings_.timeout);
  return *home;
}

std::vector<std::pair<std::string, bool>> Fleet::links() const {
  std::vector<std::pair<std::string, bool>> out;
  MutexLock lock(mu_);
  for (const auto& [address, peer] : peers_) out.emplace_back(address, peer->current() != nullptr);
  return out;
}

std::vector<std::string> Fleet::connected_first() const {
  std::vector<std::string> connected;
  std::vector<std::string> others;
  for (auto& [address, open] : links()) (open ? connected : others).push_back(std::move(address));
  connected.insert(connected.end(), others.begin(), others.end());
  return connected;
}

std::vector<bool> Fleet::heartbeat(const std::vector<std::string>& nodes,
                                   rpc::Clock::time_point deadline) {
  std::vector<std::shared_ptr<rpc::Connection>> connections;
  for (const std::string& node : nodes) {
    try {
      connections.push_back(peer(node)->connection(deadline));
    } catch (const std::exception&) {
      connections.push_back(nullptr);
    }
  }
  const std::vector<rpc::Connection::Response> responses =
      order_all(connections, ControlMethod::heartbeat, encode(Done{}), deadline);
  std::vector<bool> answered;
  for (const auto& response : responses) {
    answered.push_back(response.header.status == StatusCode::ok);
  }
  return answered;
}

void Fleet::resign(const std::string& reason) {
  std::map<std::string, std::shared_ptr<rpc::Peer>> closing;
  {
    MutexLock lock(mu_);
    closing.swap(peers_);
  }
  std::vector<std::shared_ptr<rpc::Connection>> connections;
  for (const auto& [address, peer] : closing) {
    if (std::shared_ptr<rpc::Connection> connection = peer->current()) {
      connections.push_back(std::move(connection));
    }
  }
  const std::vector<rpc::Connection::Response> responses =
      order_all(connections, ControlMethod::resign, encode(Resign{reason}),
                rpc::Clock::now() + std::chrono::seconds(1));
  for (std::size_t i = 0; i < connections.size(); ++i) {
    const rpc::Connection::Response& response = responses[i];
    if (response.header.status != StatusCode::ok) {
      spdlog::info("node {} did not take the origin's resignation: {}", connections[i]->address(),
                   response.local_error.empty() ? std::string(to_string(response.header.status))
                                                : response.local_error);
    }
  }
  for (auto& [address, peer] : closing) peer->close(reason);
}

std::vector<rpc::Connection::Response> Fleet::order_all(
    const std::vector<std::shared_ptr<rpc::Connection>>& connections, ControlMethod method,
    const std::string& body, rpc::Clock::time_point deadline) {
  rpc::FrameHeader header;
  header.component = kControlComponent;
  header.method = static_cast<std::uint32_t>(method);
  std::vector<std::optional<rpc::Connection::PendingCall>> calls;
  for (const auto& connection : connections) {
    if (connection) {
      calls.emplace_back(connection->begin(header, body, deadline));
    } else {
      calls.emplace_back();
    }
  }
  std::vector<rpc::Connection::Response> responses(connections.size());
  for (std::size_t i = 0; i < connections.size(); ++i) {
    if (calls[i]) {
      responses[i] = connections[i]->finish(*calls[i]);
    } else {
      responses[i].header.status = StatusCode::unavailable;
      responses[i].local_error = "no connection";
    }
  }
  return responses;
}

}  // namespace hatch::runtime

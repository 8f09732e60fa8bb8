#include "runtime/join_door.hpp"

#include <spdlog/spdlog.h>

namespace hatch::runtime {

JoinDoor::JoinDoor(rpc::Network& network, asio::io_context& io, const std::string& listen,
                   const rpc::ClusterSecret& secret, rpc::ConnectionOptions options, Join join)
    : join_(std::move(join)),
      limits_(options.limits),
      host_("origin door", options.limits),
      listener_(network, io, listen, secret, rpc::ListenerLimits{}, options,
                [this](std::shared_ptr<rpc::Connection> c, const rpc::PeerIdentity& peer,
                       const std::string& from) { admit(c, peer, from); }) {
  host_.set_control(
      [this](const std::shared_ptr<rpc::Connection>& connection, std::uint32_t method,
             internal::Payload& request) { return serve(*connection, method, request); });
  listener_.start("origin door " + listener_.address());
  spdlog::info("the origin accepts nodes that join at {}", listener_.address());
}

JoinDoor::~JoinDoor() {
  close();
}

std::string JoinDoor::address() const {
  return listener_.address();
}

void JoinDoor::close() {
  std::set<std::shared_ptr<rpc::Connection>> closing;
  {
    MutexLock lock(mu_);
    if (closed_) return;
    closed_ = true;
    closing.swap(connections_);
  }
  listener_.close();
  for (const auto& connection : closing) connection->close("the origin is stopping");
}

void JoinDoor::admit(const std::shared_ptr<rpc::Connection>& connection,
                     const rpc::PeerIdentity& peer, const std::string& from) {
  {
    MutexLock lock(mu_);
    if (closed_) {
      connection->close("the origin is stopping");
      return;
    }
    connections_.insert(connection);
  }
  spdlog::debug("origin door: accepted {} {}", peer.role, from);
  std::weak_ptr<rpc::Connection> weak = connection;
  connection->start([this](const std::shared_ptr<rpc::Connection>& c, const rpc::FrameHeader& h,
                           internal::Payload p) { host_.serve(c, h, std::move(p)); },
                    [this, weak](const std::string&) {
                      MutexLock lock(mu_);
                      if (auto c = weak.lock()) connections_.erase(c);
                    });
}

Reply JoinDoor::serve(const rpc::Connection& connection, std::uint32_t method,
                      internal::Payload& request) {
  if (static_cast<ControlMethod>(method) != ControlMethod::join) {
    return error_reply(StatusCode::permission_denied,
                       "the origin's door serves only join; other orders go to a node");
  }
  const auto order = decode<JoinRequest>(ControlMethod::join, request.body, limits_);
  if (joining_.fetch_add(1) >= kMaxJoining) {
    joining_.fetch_sub(1);
    return error_reply(
        StatusCode::unavailable,
        "the origin is busy with " + std::to_string(kMaxJoining) + " joins at once; try again");
  }
  std::string refusal;
  try {
    refusal = join_(order.address, connection.address());
  } catch (const std::exception& e) {
    refusal = e.what();
  }
  joining_.fetch_sub(1);
  if (!refusal.empty()) return error_reply(StatusCode::unavailable, refusal);
  return Reply{StatusCode::ok, encode(Done{})};
}

}  // namespace hatch::runtime

// What the origin answers nodes: a node that asks to join, and the orders nodes may send it
// (resolve a component, a lost replica, a stale home, a gate that outlived its lease, a drain).
#include <algorithm>
#include <optional>

#include <spdlog/spdlog.h>

#include "core/host_address.hpp"
#include "runtime/origin_impl.hpp"

namespace hatch {

std::string Origin::Impl::join(const std::string& asked, const std::string& from) {
  if (split_address(asked).second == 0) return "'" + asked + "' names port 0";
  const std::string address = canonical_address(asked);
  try {
    static_cast<void>(runtime::call_remote(
        *fleet.peer(address), runtime::kControlComponent,
        static_cast<std::uint32_t>(runtime::ControlMethod::heartbeat),
        runtime::encode(runtime::Done{}), options.call_timeout, "control operation heartbeat"));
  } catch (const std::exception& e) {
    spdlog::warn("node {} (from {}) asked to join, but the origin cannot reach it there: {}",
                 address, from, e.what());
    return "the origin cannot reach the node at " + address + ": " + e.what();
  }
  if (!membership->joined(address)) {
    return "the origin has " + std::to_string(runtime::Membership::kMaxJoined) +
           " joined nodes already";
  }
  spdlog::info("node {} joined (from {})", address, from);
  return {};
}

runtime::Reply Origin::Impl::serve(const rpc::Connection& connection, std::uint32_t method_number,
                                   internal::Payload& request) {
  using runtime::ControlMethod;
  const auto method = static_cast<ControlMethod>(method_number);
  const auto done = [] { return runtime::Reply{StatusCode::ok, runtime::encode(runtime::Done{})}; };
  switch (method) {
    case ControlMethod::resolve: {
      const auto order =
          runtime::decode<runtime::ResolveRequest>(method, request.body, options.limits);
      std::shared_ptr<BindingCell> cell = resolve(order.name);
      const runtime::ComponentRecord record = directory.record(order.name);
      return runtime::Reply{StatusCode::ok, runtime::encode(runtime::ResolveReply{
                                                record.id, std::string(cell->interface_name()),
                                                static_cast<std::uint8_t>(record.placement.kind),
                                                runtime::homes_of(record.placement),
                                                record.placement.shard_replicas})};
    }
    case ControlMethod::replica_lost: {
      const auto order =
          runtime::decode<runtime::ReplicaLostRequest>(method, request.body, options.limits);
      failover.replica_lost(order.name, order.home, order.missed_writes, order.id);
      return done();
    }
    case ControlMethod::home_stale: {
      const auto order =
          runtime::decode<runtime::HomeStaleRequest>(method, request.body, options.limits);
      failover.home_stale(order.name, order.id, order.home);
      return done();
    }
    case ControlMethod::drain: {
      const auto order =
          runtime::decode<runtime::DrainRequest>(method, request.body, options.limits);
      return runtime::Reply{StatusCode::ok,
                            runtime::encode(membership->drain(connection.address(), order.reason))};
    }
    case ControlMethod::gate_check: {
      const auto order =
          runtime::decode<runtime::GateCheckRequest>(method, request.body, options.limits);
      return runtime::Reply{StatusCode::ok, runtime::encode(gate_check(order))};
    }
    default:
      return runtime::error_reply(
          StatusCode::permission_denied,
          "the origin takes only resolve, replica_lost, home_stale, gate_check and drain from "
          "nodes");
  }
}

runtime::GateCheckReply Origin::Impl::gate_check(const runtime::GateCheckRequest& order) {
  if (running_epoch.load() == order.epoch) {
    return {static_cast<std::uint8_t>(runtime::GateVerdict::keep), {}};
  }
  MutexLock lock(transition_mu);
  if (std::optional<std::string> name = directory.name_of(order.id)) {
    const Placement placement = directory.record(*name).placement;
    const std::vector<std::string> homes = runtime::homes_of(placement);
    if (std::find(homes.begin(), homes.end(), order.home) != homes.end()) {
      return {static_cast<std::uint8_t>(runtime::GateVerdict::reopen), {}};
    }
    return {static_cast<std::uint8_t>(runtime::GateVerdict::retire), placement.to_string()};
  }
  return {static_cast<std::uint8_t>(runtime::GateVerdict::retire), {}};
}

}  // namespace hatch

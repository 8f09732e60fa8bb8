// The CallTarget of a replica or shard that lives in this process, inside a replicated or
// sharded binding. Its calls run through the Host as a served request would (gate, in-flight
// count, a primary's forwarding to its backups), only without a connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "hatch/internal/call_target.hpp"
#include "runtime/host.hpp"

namespace hatch::primitives {

class LocalTarget final : public internal::CallTarget {
 public:
  // `host` must outlive the target. `where` names this process in errors.
  LocalTarget(const runtime::Host& host, std::uint32_t component, const InterfaceEntry& interface,
              std::chrono::milliseconds timeout, std::string where);

  internal::Payload call(std::uint32_t method, internal::WireBuffer&& args) override;
  std::string method_name(std::uint32_t method) const override;

 private:
  const runtime::Host& host_;
  const std::uint32_t component_;
  const InterfaceEntry& interface_;
  const std::chrono::milliseconds timeout_;
  const std::string where_;
};

}  // namespace hatch::primitives

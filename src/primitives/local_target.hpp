// The CallTarget of a replica or shard that lives in this process, inside a replicated or
// sharded binding. Its calls run as a served request would (gate, in-flight count, a
// primary's forwarding to its backups), only without a connection: `run` is the process's
// way of serving one (runtime::Host::execute).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "hatch/catalog.hpp"
#include "hatch/error.hpp"
#include "hatch/internal/call_target.hpp"

namespace hatch::primitives {

class LocalTarget final : public internal::CallTarget {
 public:
  // Serves `request` for method `method` of this process's component `component`: the reply's
  // status and body (the result, or [type, message] for an error).
  using Run = std::function<std::pair<StatusCode, std::string>(
      std::uint32_t component, std::uint32_t method, internal::Payload& request)>;

  // `where` names this process in errors.
  LocalTarget(Run run, std::uint32_t component, const InterfaceEntry& interface,
              std::chrono::milliseconds timeout, std::string where);

  internal::Payload call(std::uint32_t method, internal::WireBuffer&& args) override;
  std::string method_name(std::uint32_t method) const override;

 private:
  const Run run_;
  const std::uint32_t component_;
  const InterfaceEntry& interface_;
  const std::chrono::milliseconds timeout_;
  const std::string where_;
};

}  // namespace hatch::primitives

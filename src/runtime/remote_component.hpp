// The CallTarget of a component that lives on another host: frames each call, sends it over the
// host's endpoint, waits within the call timeout, and turns a failed reply into the matching
// hatch::RemoteError.
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <string>

#include "core/metrics.hpp"
#include "hatch/catalog.hpp"
#include "hatch/internal/binding_cell.hpp"
#include "hatch/internal/call_target.hpp"
#include "rpc/endpoint.hpp"

namespace hatch::runtime {

// A remote call on its way: start_remote() sent it, finish_remote() waits for its reply.
struct RemoteCall {
  std::shared_ptr<rpc::Connection> connection;
  rpc::Connection::PendingCall pending;
  rpc::Clock::time_point deadline;
  std::string method_name;
  std::string host;
};

// Where a remote component's calls are counted (core/metrics.hpp): `metrics` null counts none.
struct CallCounting {
  std::shared_ptr<internal::Metrics> metrics;
  std::string callee;  // the component's name
};

class RemoteComponent final : public internal::CallTarget {
 public:
  // `stale`, if given, is told when the component answers `moved` without a new home (it is
  // gated), so that a gate no transition will end is found. Each call() is counted into
  // `counting`, failed or not; start() is not (a primary's writes to its backups).
  RemoteComponent(std::shared_ptr<rpc::Endpoint> endpoint, std::uint32_t component,
                  const InterfaceEntry& interface, std::chrono::milliseconds timeout,
                  std::function<void()> stale = {}, CallCounting counting = {});

  internal::Payload call(std::uint32_t method, internal::WireBuffer&& args) override;
  // Sends a call without waiting, so that several can be in flight (see finish_remote). Its
  // deadline is the timeout alone, not the caller's DeadlineScope: a primary's write to a
  // backup must finish even when the caller that sent it stops waiting.
  RemoteCall start(std::uint32_t method, internal::WireBuffer&& args);
  // Told the reply of a call sent with start_async(): its body, or the exception that
  // finish_remote() would throw.
  using ReplyHandler = std::function<void(internal::Payload, std::exception_ptr)>;
  // Sends a call as start() does, whose reply goes to `done` (on a pool thread, see
  // rpc::Connection::begin_async): no thread waits for it. When it cannot be sent, `done` runs
  // before start_async returns.
  void start_async(std::uint32_t method, internal::WireBuffer&& args, ReplyHandler done);
  std::string method_name(std::uint32_t method) const override;
  // How long a call waits for its reply at most.
  std::chrono::milliseconds timeout() const noexcept { return timeout_; }

 private:
  std::shared_ptr<rpc::Endpoint> endpoint_;
  const std::uint32_t component_;
  const InterfaceEntry& interface_;
  const std::chrono::milliseconds timeout_;
  const std::function<void()> stale_;
  const CallCounting counting_;
};

// Sends one request to component `component` over `endpoint` without waiting for its reply,
// due within `timeout` and, when `scoped`, the caller's DeadlineScope. Throws the RemoteError
// that matches a failure to send it.
RemoteCall start_remote(rpc::Endpoint& endpoint, std::uint32_t component, std::uint32_t method,
                        std::string args, std::chrono::milliseconds timeout,
                        const std::string& method_name, rpc::Tail tail = {}, bool scoped = true);

// Waits for the reply of `call` and returns its body; throws internal::Moved or the
// RemoteError subclass that matches a failure.
internal::Payload finish_remote(RemoteCall& call);

// Sends one request to component `component` over `endpoint` and returns the reply body.
// Throws the RemoteError subclass that matches a failure; `method_name` labels it.
// `tail` follows `args` on the wire uncopied (see rpc::Tail).
internal::Payload call_remote(rpc::Endpoint& endpoint, std::uint32_t component,
                              std::uint32_t method, std::string args,
                              std::chrono::milliseconds timeout, const std::string& method_name,
                              rpc::Tail tail = {});

}  // namespace hatch::runtime

namespace hatch::runtime {

// Points `cell` at the component `id` reached through `endpoint`.
void bind_remote(BindingCell& cell, std::shared_ptr<rpc::Endpoint> endpoint, std::uint32_t id,
                 const InterfaceEntry& interface, std::chrono::milliseconds timeout,
                 std::function<void()> stale = {}, CallCounting counting = {});

}  // namespace hatch::runtime

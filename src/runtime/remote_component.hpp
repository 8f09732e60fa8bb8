// The CallTarget of a component that lives on another host: frames each call, sends it over the
// host's endpoint, waits within the call timeout, and turns a failed reply into the matching
// hatch::RemoteError.
#pragma once

#include <chrono>
#include <memory>
#include <string>

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

class RemoteComponent final : public internal::CallTarget {
 public:
  RemoteComponent(std::shared_ptr<rpc::Endpoint> endpoint, std::uint32_t component,
                  const InterfaceEntry& interface, std::chrono::milliseconds timeout);

  internal::Payload call(std::uint32_t method, internal::WireBuffer&& args) override;
  // Sends a call without waiting, so that several can be in flight (see finish_remote). Its
  // deadline is the timeout alone, not the caller's DeadlineScope: a primary's write to a
  // backup must finish even when the caller that sent it stops waiting.
  RemoteCall start(std::uint32_t method, internal::WireBuffer&& args);
  std::string method_name(std::uint32_t method) const override;

 private:
  std::shared_ptr<rpc::Endpoint> endpoint_;
  const std::uint32_t component_;
  const InterfaceEntry& interface_;
  const std::chrono::milliseconds timeout_;
};

// "Interface::method" for messages; "#n" for a method the interface does not have.
std::string method_label(const InterfaceEntry& interface, std::uint32_t method);

// Throws what the error reply (`status`, `body` = [type, message]) of `method_name` on `host`
// means: internal::Moved (waiting until `deadline`) or the matching RemoteError.
[[noreturn]] void throw_reply_error(StatusCode status, std::span<const char> body,
                                    std::chrono::steady_clock::time_point deadline,
                                    const std::string& method_name, const std::string& host);

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
                 const InterfaceEntry& interface, std::chrono::milliseconds timeout);

}  // namespace hatch::runtime

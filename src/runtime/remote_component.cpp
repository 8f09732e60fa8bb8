#include "runtime/remote_component.hpp"

#include <algorithm>

#include "hatch/deadline.hpp"
#include "hatch/internal/codec.hpp"

namespace hatch::runtime {

RemoteComponent::RemoteComponent(std::shared_ptr<rpc::Endpoint> endpoint, std::uint32_t component,
                                 const InterfaceEntry& interface, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)),
      component_(component),
      interface_(interface),
      timeout_(timeout) {}

std::string method_label(const InterfaceEntry& interface, std::uint32_t method) {
  std::string name(interface.name);
  name += "::";
  name += method < interface.methods.size() ? std::string(interface.methods[method].name)
                                            : "#" + std::to_string(method);
  return name;
}

std::string RemoteComponent::method_name(std::uint32_t method) const {
  return method_label(interface_, method);
}

internal::Payload RemoteComponent::call(std::uint32_t method, internal::WireBuffer&& args) {
  return call_remote(*endpoint_, component_, method, std::move(args.bytes()), timeout_,
                     method_name(method));
}

RemoteCall RemoteComponent::start(std::uint32_t method, internal::WireBuffer&& args) {
  return start_remote(*endpoint_, component_, method, std::move(args.bytes()), timeout_,
                      method_name(method), {}, false);
}

RemoteCall start_remote(rpc::Endpoint& endpoint, std::uint32_t component, std::uint32_t method,
                        std::string args, std::chrono::milliseconds timeout,
                        const std::string& method_name, rpc::Tail tail, bool scoped) {
  RemoteCall call;
  call.method_name = method_name;
  call.host = endpoint.address();
  call.deadline = rpc::Clock::now() + timeout;
  if (auto scope = DeadlineScope::current(); scope && scoped) {
    call.deadline = std::min(call.deadline, *scope);
  }
  try {
    call.connection = endpoint.connection(call.deadline);
  } catch (const rpc::ConnectFailure& e) {
    throw_remote_error(e.code(), method_name, call.host, e.what());
  }
  rpc::FrameHeader header;
  header.component = component;
  header.method = method;
  try {
    call.pending = call.connection->begin(header, std::move(args), call.deadline, std::move(tail));
  } catch (const rpc::FrameError& e) {
    throw_remote_error(StatusCode::bad_request, method_name, call.host, e.what());
  }
  return call;
}

internal::Payload finish_remote(RemoteCall& call) {
  rpc::Connection::Response response = call.connection->finish(call.pending);
  if (response.header.status == StatusCode::ok) return std::move(response.payload);
  if (!response.local_error.empty()) {
    throw_remote_error(response.header.status, call.method_name, call.host, response.local_error);
  }
  throw_reply_error(response.header.status, response.payload.body, call.deadline, call.method_name,
                    call.host);
}

internal::Payload call_remote(rpc::Endpoint& endpoint, std::uint32_t component,
                              std::uint32_t method, std::string args,
                              std::chrono::milliseconds timeout, const std::string& method_name,
                              rpc::Tail tail) {
  RemoteCall started = start_remote(endpoint, component, method, std::move(args), timeout,
                                    method_name, std::move(tail));
  return finish_remote(started);
}

void throw_reply_error(StatusCode status, std::span<const char> body,
                       std::chrono::steady_clock::time_point deadline,
                       const std::string& method_name, const std::string& host) {
  std::string type;
  std::string message = "(the error body did not decode)";
  try {
    msgpack::object_handle h = internal::unpack_untrusted(body, internal::WireLimits{});
    auto fields = h.get().as<std::pair<std::string, std::string>>();
    type = std::move(fields.first);
    message = std::move(fields.second);
  } catch (const std::exception&) {
  }
  if (status == StatusCode::moved) throw internal::Moved{deadline, message};
  throw_remote_error(status, method_name, host, message, type);
}

}  // namespace hatch::runtime

namespace hatch::runtime {

void bind_remote(BindingCell& cell, std::shared_ptr<rpc::Endpoint> endpoint, std::uint32_t id,
                 const InterfaceEntry& interface, std::chrono::milliseconds timeout) {
  const std::string address = endpoint->address();
  void* self = nullptr;
  std::shared_ptr<void> proxy = interface.make_proxy(
      std::make_shared<RemoteComponent>(std::move(endpoint), id, interface, timeout), cell, &self);
  cell.bind(std::move(proxy), self, Binding::remote(address));
}

}  // namespace hatch::runtime

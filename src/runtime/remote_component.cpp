#include "runtime/remote_component.hpp"

#include <algorithm>

#include "hatch/deadline.hpp"
#include "hatch/internal/call_meter.hpp"
#include "hatch/internal/codec.hpp"
#include "runtime/control.hpp"

namespace hatch::runtime {

namespace {

// The body of a reply to a call of `method_name` on `host`, due by `deadline`; throws the
// exception its failure means.
internal::Payload reply_payload(rpc::Connection::Response response, rpc::Clock::time_point deadline,
                                const std::string& method_name, const std::string& host) {
  if (response.header.status == StatusCode::ok) return std::move(response.payload);
  if (!response.local_error.empty()) {
    throw_remote_error(response.header.status, method_name, host, response.local_error);
  }
  internal::throw_reply_error(response.header.status, response.payload.body, deadline, method_name,
                              host);
}

}  // namespace

RemoteComponent::RemoteComponent(std::shared_ptr<rpc::Endpoint> endpoint, std::uint32_t component,
                                 const InterfaceEntry& interface, std::chrono::milliseconds timeout,
                                 std::function<void()> stale, CallCounting counting)
    : endpoint_(std::move(endpoint)),
      component_(component),
      interface_(interface),
      timeout_(timeout),
      stale_(std::move(stale)),
      counting_(std::move(counting)) {}

std::string RemoteComponent::method_name(std::uint32_t method) const {
  if (method == kApplyWritesMethod) return std::string(interface_.name) + "::(a batch of writes)";
  return method_label(interface_, method);
}

internal::Payload RemoteComponent::call(std::uint32_t method, internal::WireBuffer&& args) {
  if (!counting_.metrics) {
    try {
      return call_remote(*endpoint_, component_, method, std::move(args.bytes()), timeout_,
                         method_name(method));
    } catch (const internal::Moved& moved) {
      if (moved.location.empty() && stale_) stale_();
      throw;
    }
  }
  internal::Metrics::Call counted;
  counted.caller = internal::calling_component(counting_.callee);
  counted.callee = counting_.callee;
  const std::string_view name =
      method < interface_.methods.size() ? interface_.methods[method].name : std::string_view();
  counted.method = name;
  counted.request_bytes = args.bytes().size();
  const auto start = std::chrono::steady_clock::now();
  const auto count = [&](StatusCode status) {
    counted.status = status;
    counted.took = std::chrono::steady_clock::now() - start;
    counting_.metrics->call(counted);
  };
  try {
    internal::Payload reply = call_remote(*endpoint_, component_, method, std::move(args.bytes()),
                                          timeout_, method_name(method));
    counted.reply_bytes = reply.body.size() + reply.tail.size();
    count(StatusCode::ok);
    return reply;
  } catch (const internal::Moved& moved) {
    count(StatusCode::moved);
    if (moved.location.empty() && stale_) stale_();
    throw;
  } catch (const RemoteError& e) {
    count(e.code());
    throw;
  } catch (...) {
    count(StatusCode::internal);
    throw;
  }
}

RemoteCall RemoteComponent::start(std::uint32_t method, internal::WireBuffer&& args) {
  return start_remote(*endpoint_, component_, method, std::move(args.bytes()), timeout_,
                      method_name(method), {}, false);
}

void RemoteComponent::start_async(std::uint32_t method, internal::WireBuffer&& args,
                                  ReplyHandler done) {
  const rpc::Clock::time_point deadline = rpc::Clock::now() + timeout_;
  std::string name = method_name(method);
  std::string host = endpoint_->address();
  try {
    std::shared_ptr<rpc::Connection> connection;
    try {
      connection = endpoint_->connection(deadline);
    } catch (const rpc::ConnectFailure& e) {
      throw_remote_error(e.code(), name, host, e.what());
    }
    rpc::FrameHeader header;
    header.component = component_;
    header.method = method;
    try {
      connection->begin_async(header, std::move(args.bytes()), deadline,
                              [done, deadline, name, host](rpc::Connection::Response response) {
                                internal::Payload reply;
                                std::exception_ptr failure;
                                try {
                                  reply = reply_payload(std::move(response), deadline, name, host);
                                } catch (...) {
                                  failure = std::current_exception();
                                }
                                done(std::move(reply), failure);
                              });
    } catch (const rpc::FrameError& e) {
      throw_remote_error(StatusCode::bad_request, name, host, e.what());
    }
  } catch (...) {
    done({}, std::current_exception());
  }
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
  return reply_payload(call.connection->finish(call.pending), call.deadline, call.method_name,
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

}  // namespace hatch::runtime

namespace hatch::runtime {

void bind_remote(BindingCell& cell, std::shared_ptr<rpc::Endpoint> endpoint, std::uint32_t id,
                 const InterfaceEntry& interface, std::chrono::milliseconds timeout,
                 std::function<void()> stale, CallCounting counting) {
  const std::string address = endpoint->address();
  void* self = nullptr;
  std::shared_ptr<void> proxy = interface.make_proxy(
      std::make_shared<RemoteComponent>(std::move(endpoint), id, interface, timeout,
                                        std::move(stale), std::move(counting)),
      cell, &self);
  cell.bind(std::move(proxy), self, Binding::remote(address));
}

}  // namespace hatch::runtime

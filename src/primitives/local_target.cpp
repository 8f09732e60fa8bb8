#include "primitives/local_target.hpp"

#include "runtime/remote_component.hpp"

namespace hatch::primitives {

LocalTarget::LocalTarget(const runtime::Host& host, std::uint32_t component,
                         const InterfaceEntry& interface, std::chrono::milliseconds timeout,
                         std::string where)
    : host_(host),
      component_(component),
      interface_(interface),
      timeout_(timeout),
      where_(std::move(where)) {}

internal::Payload LocalTarget::call(std::uint32_t method, internal::WireBuffer&& args) {
  rpc::FrameHeader header;
  header.component = component_;
  header.method = method;
  auto packed = std::make_shared<std::string>(std::move(args.bytes()));
  internal::Payload request;
  request.storage = packed;
  request.body = *packed;
  runtime::Reply reply = host_.execute(nullptr, header, request);
  auto body = std::make_shared<std::string>(std::move(reply.body));
  if (reply.status != StatusCode::ok) {
    runtime::throw_reply_error(reply.status, *body, rpc::Clock::now() + timeout_,
                               method_name(method), where_);
  }
  internal::Payload out;
  out.body = *body;
  out.storage = std::move(body);
  return out;
}

std::string LocalTarget::method_name(std::uint32_t method) const {
  return runtime::method_label(interface_, method);
}

}  // namespace hatch::primitives

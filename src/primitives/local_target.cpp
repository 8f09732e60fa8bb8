#include "primitives/local_target.hpp"

namespace hatch::primitives {

LocalTarget::LocalTarget(Run run, std::uint32_t component, const InterfaceEntry& interface,
                         std::chrono::milliseconds timeout, std::string where)
    : run_(std::move(run)),
      component_(component),
      interface_(interface),
      timeout_(timeout),
      where_(std::move(where)) {}

internal::Payload LocalTarget::call(std::uint32_t method, internal::WireBuffer&& args) {
  auto packed = std::make_shared<std::string>(std::move(args.bytes()));
  internal::Payload request;
  request.storage = packed;
  request.body = *packed;
  auto [status, reply] = run_(component_, method, request);
  auto body = std::make_shared<std::string>(std::move(reply));
  if (status != StatusCode::ok) {
    internal::throw_reply_error(status, *body, std::chrono::steady_clock::now() + timeout_,
                                method_name(method), where_);
  }
  internal::Payload out;
  out.body = *body;
  out.storage = std::move(body);
  return out;
}

std::string LocalTarget::method_name(std::uint32_t method) const {
  return method_label(interface_, method);
}

}  // namespace hatch::primitives

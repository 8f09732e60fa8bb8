#include "runtime/host.hpp"

#include <cxxabi.h>

#include <typeinfo>

#include "hatch/deadline.hpp"
#include "hatch/internal/codec.hpp"

namespace hatch::runtime {

namespace {

std::string demangle(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

}  // namespace

Reply error_reply(StatusCode status, const std::string& message, const std::string& type) {
  internal::WireBuffer out;
  msgpack::packer<internal::WireBuffer> pk(out);
  pk.pack_array(2);
  pk.pack(type);
  pk.pack(message);
  return Reply{status, std::move(out.bytes())};
}

void Host::add(std::uint32_t id, HostedComponent component) {
  auto entry = std::make_shared<const HostedComponent>(std::move(component));
  std::unique_lock lock(mu_);
  components_[id] = std::move(entry);
}

std::size_t Host::clear() {
  std::unique_lock lock(mu_);
  const std::size_t n = components_.size();
  components_.clear();
  return n;
}

std::shared_ptr<const HostedComponent> Host::find(std::uint32_t id) const {
  std::shared_lock lock(mu_);
  auto it = components_.find(id);
  return it == components_.end() ? nullptr : it->second;
}

void Host::serve(const std::shared_ptr<rpc::Connection>& connection, const rpc::FrameHeader& header,
                 const internal::Payload& payload) const {
  // The caller's remaining budget bounds the calls this one makes in turn.
  std::optional<DeadlineScope> scope;
  if (header.budget_us > 0) scope.emplace(std::chrono::microseconds(header.budget_us));
  Reply reply = execute(connection, header, payload.body);
  scope.reset();
  rpc::FrameHeader out;
  out.kind = rpc::FrameKind::response;
  out.status = reply.status;
  out.call_id = header.call_id;
  out.component = header.component;
  out.method = header.method;
  connection->send(out, std::move(reply.body));
}

Reply Host::execute(const std::shared_ptr<rpc::Connection>& connection,
                    const rpc::FrameHeader& header, std::span<const char> args) const {
  try {
    if (header.component == kControlComponent) {
      if (!control_)
        return error_reply(StatusCode::unknown_component, "this host takes no control requests");
      return control_(connection, header.method, args);
    }
    std::shared_ptr<const HostedComponent> target = find(header.component);
    if (!target) {
      return error_reply(
          StatusCode::unknown_component,
          "no component with id " + std::to_string(header.component) + " is hosted on " + name_);
    }
    const InterfaceEntry& iface = *target->interface;
    if (header.method >= iface.methods.size()) {
      return error_reply(StatusCode::unknown_method,
                         std::string(iface.name) + " has no method number " +
                             std::to_string(header.method) + " (it has " +
                             std::to_string(iface.methods.size()) + ")");
    }
    internal::WireBuffer out;
    iface.dispatch(target->instance, header.method, args, limits_, out);
    return Reply{StatusCode::ok, std::move(out.bytes())};
  } catch (const internal::BadArguments& e) {
    return error_reply(StatusCode::bad_request, e.what());
  } catch (const std::exception& e) {
    return error_reply(StatusCode::application_error, e.what(), demangle(typeid(e)));
  } catch (...) {
    return error_reply(StatusCode::application_error,
                       "an exception not derived from std::exception", "unknown");
  }
}

}  // namespace hatch::runtime

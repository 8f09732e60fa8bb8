#include "runtime/host.hpp"

#include <cxxabi.h>

#include <thread>
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

Reply moved_reply(const std::string& location) {
  internal::WireBuffer out;
  msgpack::pack(out, std::make_tuple(std::string("moved"), location));
  return Reply{StatusCode::moved, std::move(out.bytes())};
}

void Host::add(std::uint32_t id, std::string name, const InterfaceEntry& interface,
               Instance instance) {
  auto entry = std::make_shared<HostedComponent>();
  entry->name = std::move(name);
  entry->interface = &interface;
  entry->instance = std::move(instance);
  std::unique_lock lock(mu_);
  moved_.erase(id);
  components_[id] = std::move(entry);
}

bool Host::gate(std::uint32_t id, std::chrono::steady_clock::time_point deadline) {
  std::shared_ptr<const HostedComponent> c = find(id);
  if (!c) return false;
  c->gated.store(true);
  while (c->in_flight.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

void Host::ungate(std::uint32_t id) {
  if (std::shared_ptr<const HostedComponent> c = find(id)) c->gated.store(false);
}

void Host::remove(std::uint32_t id) {
  std::unique_lock lock(mu_);
  components_.erase(id);
}

void Host::retire(std::uint32_t id, const std::string& location) {
  std::unique_lock lock(mu_);
  components_.erase(id);
  moved_[id] = location;
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
                 internal::Payload request) const {
  // The caller's remaining budget bounds the calls this one makes in turn.
  std::optional<DeadlineScope> scope;
  if (header.budget_us > 0) scope.emplace(std::chrono::microseconds(header.budget_us));
  Reply reply = execute(connection, header, request);
  scope.reset();
  rpc::FrameHeader out;
  out.kind = rpc::FrameKind::response;
  out.status = reply.status;
  out.call_id = header.call_id;
  out.component = header.component;
  out.method = header.method;
  connection->send(out, std::move(reply.body), std::move(reply.tail));
}

Reply Host::execute(const std::shared_ptr<rpc::Connection>& connection,
                    const rpc::FrameHeader& header, internal::Payload& request) const {
  try {
    if (header.component == kControlComponent) {
      if (!control_)
        return error_reply(StatusCode::unknown_component, "this host takes no control requests");
      return control_(connection, header.method, request);
    }
    std::shared_ptr<const HostedComponent> target;
    {
      std::shared_lock lock(mu_);
      if (auto it = components_.find(header.component); it != components_.end()) {
        target = it->second;
      } else if (auto gone = moved_.find(header.component); gone != moved_.end()) {
        return moved_reply(gone->second);
      }
    }
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
    // Count in, then look at the gate: a transition that closed it waits for this call.
    target->in_flight.fetch_add(1);
    struct Leave {
      const HostedComponent& c;
      ~Leave() { c.in_flight.fetch_sub(1); }
    } leave{*target};
    if (target->gated.load()) return moved_reply("");
    internal::WireBuffer out;
    iface.dispatch(target->instance.self, header.method, request.body, limits_, out);
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

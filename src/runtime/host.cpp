#include "runtime/host.hpp"

#include <cxxabi.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <typeinfo>

#include <spdlog/spdlog.h>

#include "hatch/deadline.hpp"
#include "hatch/internal/call_meter.hpp"
#include "hatch/internal/codec.hpp"
#include "hatch/internal/decode_cost.hpp"

namespace hatch::runtime {

namespace {

std::string demangle(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

// What `f` returns, or the error reply for what it throws: arguments that do not decode are a
// bad request, any other exception the implementation's error, its type named.
template <class F>
Reply reply_of(F&& f) {
  try {
    return f();
  } catch (const internal::BadArguments& e) {
    return error_reply(StatusCode::bad_request, e.what());
  } catch (const std::exception& e) {
    return error_reply(StatusCode::application_error, e.what(), demangle(typeid(e)));
  } catch (...) {
    return error_reply(StatusCode::application_error,
                       "an exception not derived from std::exception", "unknown");
  }
}

// The message of an error reply built by error_reply().
std::string error_message(const Reply& reply) {
  const msgpack::object_handle h = internal::unpack_untrusted(reply.body, internal::WireLimits{});
  return h.get().as<std::pair<std::string, std::string>>().second;
}

// Whether a write ran: it did unless its arguments did not decode or found no memory.
bool ran(const Reply& reply) {
  return reply.status != StatusCode::bad_request && reply.status != StatusCode::resource_exhausted;
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
  WriterLock lock(mu_);
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

bool Host::set_backups(std::uint32_t id, std::vector<std::shared_ptr<RemoteComponent>> backups,
                       std::vector<std::string> names, std::chrono::milliseconds patience) {
  std::shared_ptr<const HostedComponent> c = find(id);
  if (!c) return false;
  std::shared_ptr<Replication> replication;
  if (!backups.empty()) {
    replication = std::make_shared<Replication>(
        std::move(backups), std::move(names), limits_.max_frame_bytes, patience,
        [this, id, component = c->name](const std::string& home, const std::string& why) {
          spdlog::warn("{}: backup {} of component {} left the replica set: {}", name_, home,
                       component, why);
          if (lost_backup_) lost_backup_(component, id, home);
        });
  }
  std::atomic_store(&c->replication, std::move(replication));
  return true;
}

void Host::remove(std::uint32_t id) {
  WriterLock lock(mu_);
  components_.erase(id);
}

void Host::retire(std::uint32_t id, const std::string& location) {
  WriterLock lock(mu_);
  components_.erase(id);
  moved_[id] = location;
}

std::size_t Host::clear() {
  WriterLock lock(mu_);
  const std::size_t n = components_.size();
  components_.clear();
  return n;
}

std::shared_ptr<const HostedComponent> Host::find(std::uint32_t id) const {
  ReaderLock lock(mu_);
  auto it = components_.find(id);
  return it == components_.end() ? nullptr : it->second;
}

namespace {

// Sends `reply` on `connection` as the response to the request `request`.
void respond(rpc::Connection& connection, const rpc::FrameHeader& request, Reply reply) {
  rpc::FrameHeader out;
  out.kind = rpc::FrameKind::response;
  out.status = reply.status;
  out.call_id = request.call_id;
  out.component = request.component;
  out.method = request.method;
  connection.send(out, std::move(reply.body), std::move(reply.tail));
}

}  // namespace

void Host::serve(const std::shared_ptr<rpc::Connection>& connection, const rpc::FrameHeader& header,
                 internal::Payload request) const {
  // The caller's remaining budget bounds the calls this one makes in turn.
  std::optional<DeadlineScope> scope;
  if (header.budget_us > 0) scope.emplace(std::chrono::microseconds(header.budget_us));
  std::optional<Reply> reply = reply_to(connection, header, request, true);
  scope.reset();
  if (reply) respond(*connection, header, std::move(*reply));
}

Reply Host::execute(const std::shared_ptr<rpc::Connection>& connection,
                    const rpc::FrameHeader& header, internal::Payload& request) const {
  return *reply_to(connection, header, request, false);
}

std::optional<Reply> Host::reply_to(const std::shared_ptr<rpc::Connection>& connection,
                                    const rpc::FrameHeader& header, internal::Payload& request,
                                    bool defer) const {
  if (header.component == kControlComponent) {
    if (!control_)
      return error_reply(StatusCode::unknown_component, "this host takes no control requests");
    return reply_of([&] { return control_(connection, header.method, request); });
  }
  {
    std::shared_ptr<const HostedComponent> target;
    {
      ReaderLock lock(mu_);
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
    const bool batch = header.method == kApplyWritesMethod;
    if (!batch && header.method >= iface.methods.size()) {
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
    if (batch) return apply_batch(*target, request.body);
    if (iface.methods[header.method].semantics == Semantics::write) {
      if (std::shared_ptr<Replication> replication = std::atomic_load(&target->replication)) {
        return apply_and_forward(target, *replication, header, request.body,
                                 defer ? connection : nullptr);
      }
    }
    return run(*target, header.method, request.body);
  }
}

Reply Host::run(const HostedComponent& component, std::uint32_t method,
                std::span<const char> args) const {
  return reply_of([&] {
    // Nothing is decoded before the arity and the memory it takes are known.
    const internal::DecodeCost cost = internal::measure_untrusted(args, limits_);
    const InterfaceEntry& iface = *component.interface;
    const MethodInfo& info = iface.methods[method];
    if (cost.top_array_items != static_cast<std::uint32_t>(info.arity)) {
      throw internal::BadArguments(
          std::string(iface.name) + "::" + std::string(info.name) + " takes " +
          std::to_string(info.arity) + " arguments; the request carries " +
          (cost.top_array_items ? std::to_string(*cost.top_array_items) : "no argument list"));
    }
    const MemoryBudget::Lease lease = requests_.reserve(cost.bytes_in_flight());
    if (!lease) return exhausted_reply(component, cost);
    internal::CallerScope serving(component.name);
    internal::WireBuffer out;
    iface.dispatch(component.instance.self, method, args, limits_, out);
    return Reply{StatusCode::ok, std::move(out.bytes())};
  });
}

Reply Host::exhausted_reply(const HostedComponent& component,
                            const internal::DecodeCost& cost) const {
  const std::size_t need = cost.bytes_in_flight();
  const std::size_t total = requests_.total();
  std::string message = "a call to " + component.name + " needs " + std::to_string(need) +
                        " bytes to decode its " + std::to_string(cost.input_bytes) +
                        " bytes of arguments (" + std::to_string(cost.values) + " values), ";
  if (need > total) {
    message += "more than the whole in-flight request budget of " + std::to_string(total) +
               " bytes (WireLimits::max_inflight_request_bytes): it can never run here";
  } else {
    message += "and the calls being served hold " + std::to_string(total - requests_.left()) +
               " of the in-flight request budget of " + std::to_string(total) +
               " bytes; it did not run, retry later";
  }
  if (auto refused = exhausted_log_.admit()) {
    spdlog::warn("{}: refused {} call(s) for want of memory; the last: {}", name_, *refused,
                 message);
  }
  return error_reply(StatusCode::resource_exhausted, message);
}

std::optional<Reply> Host::apply_and_forward(
    const std::shared_ptr<const HostedComponent>& component, Replication& replication,
    const rpc::FrameHeader& header, std::span<const char> args,
    const std::shared_ptr<rpc::Connection>& connection) const {
  // What became of the write on the primary and on the backups, and where its reply goes.
  struct Write {
    Reply reply;
    std::mutex mu;
    std::condition_variable settled_cv;
    std::optional<Reply> settled;  // without a connection: for the waiting caller
  };
  auto write = std::make_shared<Write>();
  // Counted in flight until its fate is known, so that closing the gate waits for it.
  component->in_flight.fetch_add(1);
  WriteDone done = [write, component, connection, header, host = name_](WriteFate fate) {
    Reply reply;
    switch (fate.kind) {
      case WriteFate::Kind::acknowledged:
        reply = std::move(write->reply);
        break;
      case WriteFate::Kind::moved:
        reply = moved_reply(fate.detail);
        break;
      case WriteFate::Kind::unknown:
        reply = error_reply(StatusCode::unavailable,
                            "a write to " + component->name + " ran on its primary " + host +
                                ", but a backup that was moving left the replica set (" +
                                fate.detail + "): whether the write survives the move is unknown");
        break;
    }
    component->in_flight.fetch_sub(1);
    if (connection) {
      respond(*connection, header, std::move(reply));
      return;
    }
    {
      std::lock_guard lock(write->mu);
      write->settled = std::move(reply);
    }
    write->settled_cv.notify_one();
  };
  replication.write(
      header.method, args,
      [&] {
        write->reply = run(*component, header.method, args);
        // A write that failed in the implementation ran, and fails the same way on the
        // backups: it goes to them all the same. One whose arguments did not decode, or that
        // found no memory for them, did not run anywhere.
        return ran(write->reply);
      },
      std::move(done));
  if (connection) return std::nullopt;
  std::unique_lock lock(write->mu);
  if (!write->settled) {
    lock.unlock();
    rpc::Connection::hand_off_drain();
    lock.lock();
    // The answers come on pool threads: a pool that stopped meanwhile would never bring them.
    if (!write->settled_cv.wait_for(lock, replication.longest_wait(),
                                    [&] { return write->settled.has_value(); })) {
      return error_reply(StatusCode::unavailable,
                         "a write to " + component->name + " ran on its primary " + name_ +
                             ", but its backups' answers did not come within " +
                             std::to_string(replication.longest_wait().count()) +
                             " ms: whether they have it is unknown");
    }
  }
  return std::move(*write->settled);
}

Reply Host::apply_batch(const HostedComponent& component, std::span<const char> body) const {
  if (std::atomic_load(&component.replication)) {
    return error_reply(StatusCode::bad_request,
                       component.name + " on " + name_ +
                           " is a primary replica: a batch of writes goes to its backups");
  }
  std::vector<BatchedWrite> writes;
  MemoryBudget::Lease lease;
  try {
    // The batch holds its decoded list while its writes run, each with a share of its own.
    const internal::DecodeCost cost = internal::measure_untrusted(body, limits_);
    lease = requests_.reserve(cost.bytes_in_flight());
    if (!lease) return exhausted_reply(component, cost);
    writes = unpack_write_batch(body, limits_);
  } catch (const internal::BadArguments& e) {
    return error_reply(StatusCode::bad_request,
                       "a batch of writes to " + component.name + " does not decode: " + e.what());
  }
  const InterfaceEntry& iface = *component.interface;
  for (const BatchedWrite& w : writes) {
    if (w.method >= iface.methods.size() || iface.methods[w.method].semantics != Semantics::write) {
      return error_reply(StatusCode::bad_request,
                         "a batch of writes to " + component.name + " holds " +
                             method_label(iface, w.method) +
                             ", which is not a write; none of the batch ran");
    }
  }
  for (std::size_t i = 0; i < writes.size(); ++i) {
    Reply reply = run(component, writes[i].method, writes[i].args);
    if (!ran(reply)) {
      return error_reply(reply.status,
                         "write " + std::to_string(i + 1) + " of a batch of " +
                             std::to_string(writes.size()) + " to " + component.name +
                             " did not run, nor did those after it: " + error_message(reply));
    }
  }
  internal::WireBuffer none;
  msgpack::pack(none, msgpack::type::nil_t());
  return Reply{StatusCode::ok, std::move(none.bytes())};
}

}  // namespace hatch::runtime

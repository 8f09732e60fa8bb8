#include "runtime/host_control.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "hatch/internal/codec.hpp"
#include "runtime/remote_component.hpp"
#include "runtime/state_transfer.hpp"

namespace hatch::runtime {

namespace {
// The epoch of retire and remove: they end any gate, and the instance with it.
constexpr std::uint64_t kEndsEveryGate = UINT64_MAX;
}  // namespace

HostControl::HostControl(Host& host, const Catalog& catalog, asio::io_context& io,
                         std::chrono::milliseconds timeout, std::chrono::milliseconds lease,
                         HostControlHooks hooks)
    : host_(host),
      catalog_(catalog),
      timeout_(timeout),
      lease_(lease),
      hooks_(std::move(hooks)),
      sweep_timer_(io) {}

HostControl::~HostControl() {
  MutexLock lock(mu_);
  stopped_ = true;
  sweep_timer_.cancel();
}

void HostControl::fail(StatusCode code, ControlMethod method, const std::string& message) const {
  throw_remote_error(code, std::string("control operation ") + to_string(method), host_.name(),
                     message);
}

std::shared_ptr<const HostedComponent> HostControl::find(std::uint32_t id,
                                                         const char* operation) const {
  std::shared_ptr<const HostedComponent> c = host_.find(id);
  if (!c) {
    throw_remote_error(StatusCode::unknown_component, std::string("control operation ") + operation,
                       host_.name(),
                       "no component with id " + std::to_string(id) + " on " + host_.name() +
                           " (was it restarted?)");
  }
  return c;
}

void HostControl::set_self(std::string self) {
  MutexLock lock(mu_);
  self_ = std::move(self);
}

std::string HostControl::self() const {
  MutexLock lock(mu_);
  return self_;
}

void HostControl::clear() {
  MutexLock lock(mu_);
  gates_.clear();
  reopened_.clear();
}

bool HostControl::is_order(ControlMethod method) {
  switch (method) {
    case ControlMethod::instantiate:
    case ControlMethod::gate:
    case ControlMethod::ungate:
    case ControlMethod::export_state:
    case ControlMethod::retire:
    case ControlMethod::remove:
    case ControlMethod::set_backups:
      return true;
    default:
      return false;
  }
}

Reply HostControl::serve(ControlMethod method, internal::Payload& request) {
  const internal::WireLimits& limits = host_.limits();
  const auto done = [] { return Reply{StatusCode::ok, encode(Done{})}; };
  try {
    switch (method) {
      case ControlMethod::instantiate: {
        std::span<const char> state_head;
        const auto order = decode<InstantiateRequest>(method, request.body, limits, &state_head);
        request.body = state_head;  // the order was copied out of it
        instantiate(order, request);
        return done();
      }
      case ControlMethod::gate:
        gate(decode<GateRequest>(method, request.body, limits));
        return done();
      case ControlMethod::ungate:
        return Reply{
            StatusCode::ok,
            encode(UngateReply{ungate(decode<UngateRequest>(method, request.body, limits))})};
      case ControlMethod::export_state:
        return export_state(decode<ExportRequest>(method, request.body, limits));
      case ControlMethod::retire:
        retire(decode<RetireRequest>(method, request.body, limits));
        return done();
      case ControlMethod::remove:
        remove(decode<RemoveRequest>(method, request.body, limits));
        return done();
      case ControlMethod::set_backups:
        set_backups(decode<SetBackupsRequest>(method, request.body, limits));
        return done();
      default:
        return error_reply(StatusCode::unknown_method,
                           std::string(to_string(method)) + " is not a transition order");
    }
  } catch (const RemoteError& e) {
    return error_reply(e.code(), e.detail());
  } catch (const internal::BadArguments& e) {
    return error_reply(StatusCode::bad_request, e.what());
  } catch (const UsageError& e) {
    return error_reply(StatusCode::bad_request, e.what());
  } catch (const std::exception& e) {
    return error_reply(StatusCode::application_error, e.what());
  }
}

void HostControl::instantiate(const InstantiateRequest& order, internal::Payload& state) {
  const ComponentEntry* component = catalog_.find(order.name);
  if (component == nullptr) {
    fail(StatusCode::unknown_component, ControlMethod::instantiate,
         host_.name() + " has no component named '" + order.name +
             "' in its binary; it has: " + catalog_.names_line());
  }
  if (component->interface->signature != order.signature) {
    fail(StatusCode::bad_request, ControlMethod::instantiate,
         "the interface " + std::string(component->interface->name) + " of '" + order.name +
             "' differs between the origin and " + host_.name() +
             "; rebuild both from the same source");
  }
  set_self(order.home);
  Instance instance = hooks_.create(*component, order);
  if (order.has_state) import_state(instance, state, host_.limits());
  if (order.reshard) {
    std::shared_ptr<const HostedComponent> old = find(order.reshard->old_id, "instantiate");
    instance.keyed->import_entries(
        resharded_entries(old->instance, order.reshard->new_homes, order.home, true));
  }
  host_.add(order.id, order.name, *component->interface, std::move(instance));
}

void HostControl::gate(const GateRequest& order) {
  const auto deadline = rpc::Clock::now() + timeout_;
  find(order.id, "gate");
  {
    MutexLock lock(mu_);
    if (auto it = reopened_.find(order.id); it != reopened_.end() && it->second >= order.epoch) {
      return;  // the transition was abandoned before this gate ran
    }
    Gate& gate = gates_[order.id];
    if (gate.epoch > order.epoch) return;  // a newer transition's gate stands
    gate.epoch = order.epoch;
  }
  if (!hooks_.drain_local_refs(order.id, deadline) || !host_.gate(order.id, deadline)) {
    fail(StatusCode::deadline_exceeded, ControlMethod::gate,
         "component " + std::to_string(order.id) + " on " + host_.name() +
             " did not drain before the deadline");
  }
  if (hooks_.check_gate) start_lease(order.id, order.epoch);
}

bool HostControl::end_gate(std::uint32_t id, std::uint64_t epoch, rpc::Tail* taken) {
  MutexLock lock(mu_);
  if (epoch == kEndsEveryGate) {
    reopened_.erase(id);
  } else {
    std::uint64_t& reopened = reopened_[id];
    reopened = std::max(reopened, epoch);
  }
  auto it = gates_.find(id);
  if (it == gates_.end()) return true;
  if (it->second.epoch > epoch) return false;
  if (taken != nullptr) *taken = std::move(it->second.taken);
  gates_.erase(it);
  return true;
}

bool HostControl::ungate(const UngateRequest& order) {
  rpc::Tail taken;
  if (!end_gate(order.id, order.epoch, &taken)) return false;
  std::shared_ptr<const HostedComponent> c = host_.find(order.id);
  const bool was_gated = c && c->gated.load();
  if (c) {
    try {
      restore_state(c->instance, taken);
    } catch (const std::exception& e) {
      spdlog::error("{}: component {} could not take its state back: {}", host_.name(), order.id,
                    e.what());
    }
  }
  host_.ungate(order.id);
  if (hooks_.reopened) hooks_.reopened(order.id);
  return was_gated;
}

Reply HostControl::export_state(const ExportRequest& order) {
  std::shared_ptr<const HostedComponent> c = find(order.id, "export");
  if (order.reshard_to) {
    return Reply{
        StatusCode::ok,
        pack_entries(resharded_entries(c->instance, *order.reshard_to, self(), false), -1, 1)};
  }
  internal::WireBuffer out;
  rpc::Tail tail;
  runtime::export_state(c->instance, out, tail);
  {
    MutexLock lock(mu_);
    gates_[order.id].taken = tail;  // to give back if the move fails
  }
  return Reply{StatusCode::ok, std::move(out.bytes()), std::move(tail)};
}

void HostControl::retire(const RetireRequest& order) {
  end_gate(order.id, kEndsEveryGate, nullptr);
  std::shared_ptr<const HostedComponent> leaving = host_.find(order.id);
  host_.retire(order.id, order.where);
  // Its local callers drained at the gate and wait there for the directory: free the instance.
  if (leaving && hooks_.retired) hooks_.retired(order.id, leaving->instance.self);
}

void HostControl::remove(const RemoveRequest& order) {
  end_gate(order.id, kEndsEveryGate, nullptr);
  host_.remove(order.id);
}

void HostControl::set_backups(const SetBackupsRequest& order) {
  std::shared_ptr<const HostedComponent> c = find(order.id, "set_backups");
  std::vector<std::shared_ptr<RemoteComponent>> targets;
  for (const std::string& backup : order.backups) {
    targets.push_back(std::make_shared<RemoteComponent>(hooks_.endpoint_for(backup), order.id,
                                                        *c->interface, timeout_));
  }
  // A backup's gate stands until its transition ends or, past its lease, until the origin says
  // how it ended (a node checks between one and two leases after the gate closed).
  if (!host_.set_backups(order.id, std::move(targets), order.backups, lease_ * 3)) {
    fail(StatusCode::unknown_component, ControlMethod::set_backups,
         "component " + std::to_string(order.id) + " left " + host_.name());
  }
}

void HostControl::start_lease(std::uint32_t id, std::uint64_t epoch) {
  MutexLock lock(mu_);
  auto it = gates_.find(id);
  if (it == gates_.end() || it->second.epoch != epoch) return;
  it->second.lease_ends = rpc::Clock::now() + lease_;
  arm_sweep();
}

void HostControl::arm_sweep() {
  if (sweep_armed_ || stopped_) return;
  sweep_armed_ = true;
  sweep_timer_.expires_after(lease_);
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) sweep();
  });
}

void HostControl::sweep() {
  std::vector<std::pair<std::uint32_t, std::uint64_t>> ended;
  {
    MutexLock lock(mu_);
    sweep_armed_ = false;
    const auto now = rpc::Clock::now();
    for (auto& [id, gate] : gates_) {
      if (gate.lease_ends && *gate.lease_ends <= now) {
        gate.lease_ends.reset();
        ended.emplace_back(id, gate.epoch);
      }
    }
  }
  for (const auto& [id, epoch] : ended) on_lease(id, epoch);
  MutexLock lock(mu_);
  const bool leased = std::any_of(gates_.begin(), gates_.end(),
                                  [](const auto& g) { return g.second.lease_ends.has_value(); });
  if (leased) arm_sweep();
}

void HostControl::on_lease(std::uint32_t id, std::uint64_t epoch) {
  {
    MutexLock lock(mu_);
    auto it = gates_.find(id);
    if (it == gates_.end() || it->second.epoch != epoch) return;  // ended, or a newer gate
  }
  std::pair<GateVerdict, std::string> verdict{GateVerdict::keep, {}};
  try {
    verdict = hooks_.check_gate(id, epoch);
  } catch (const std::exception& e) {
    spdlog::warn("{}: component {} is still gated and the origin cannot say why: {}", host_.name(),
                 id, e.what());
  }
  switch (verdict.first) {
    case GateVerdict::keep:
      start_lease(id, epoch);
      return;
    case GateVerdict::reopen:
      spdlog::warn("{}: the gate of component {} outlived its transition; reopening it",
                   host_.name(), id);
      static_cast<void>(ungate(UngateRequest{id, epoch}));
      return;
    case GateVerdict::retire:
      spdlog::warn("{}: component {} was left behind by a transition; retiring it", host_.name(),
                   id);
      retire(RetireRequest{id, verdict.second});
      return;
  }
}

}  // namespace hatch::runtime

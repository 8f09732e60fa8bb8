#include "runtime/origin_impl.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "core/host_address.hpp"
#include "core/metrics.hpp"
#include "hatch/context.hpp"
#include "hatch/internal/call_tracker.hpp"
#include "hatch/internal/codec.hpp"
#include "hatch/internal/mutex.hpp"
#include "hatch/placement_rule.hpp"
#include "rpc/endpoint.hpp"
#include "rpc/io_pool.hpp"
#include "rpc/tls_network.hpp"
#include "runtime/directory.hpp"
#include "runtime/discovery.hpp"
#include "runtime/failover.hpp"
#include "runtime/fleet.hpp"
#include "runtime/home.hpp"
#include "runtime/host.hpp"
#include "runtime/host_control.hpp"
#include "runtime/join_door.hpp"
#include "runtime/membership.hpp"
#include "runtime/placement_binding.hpp"
#include "runtime/remote_component.hpp"
#include "runtime/transition.hpp"

namespace hatch {

std::string Origin::Impl::new_incarnation() {
  std::random_device rd;
  char buf[32];
  std::snprintf(buf, sizeof buf, "origin/%08x%08x", rd(), rd());
  return buf;
}

Origin::Impl::Impl(const Catalog& c, Options o)
    : catalog(c),
      options(std::move(o)),
      io(options.io_threads),
      host("origin", options.limits),
      directory(catalog, options.placements, meter, options.call_timeout * 2),
      control(host, catalog, io.context(), options.call_timeout, options.call_timeout,
              control_hooks()),
      local_home(runtime::make_local_home(control)),
      fleet(network, io.context(), secret ? &*secret : nullptr, fleet_settings(),
            [this](const std::shared_ptr<rpc::Connection>& c, const rpc::FrameHeader& h,
                   internal::Payload p) { host.serve(c, h, std::move(p)); }),
      failover(directory, io.context(), options.call_timeout, failover_hooks()) {
  for (const auto& [name, config] : options.configs) catalog.require(name, "a configuration");
  if (!options.listen.empty() && !secret) {
    throw UsageError("the origin accepts nodes at " + options.listen +
                     " but no cluster secret is set (--hatch-secret-file or Options::secret)");
  }
  host.set_control(
      [this](const std::shared_ptr<rpc::Connection>& connection, std::uint32_t method,
             internal::Payload& request) { return serve(*connection, method, request); });
  host.set_lost_backup([this](const std::string& name, std::uint32_t id, const std::string& home) {
    failover.replica_lost(name, home, true, id);
  });
  membership = std::make_unique<runtime::Membership>(directory, options.heartbeat_interval,
                                                     options.node_timeout, membership_hooks());
  if (!options.nodes.empty()) {
    discovery = std::make_unique<runtime::Discovery>(
        options.nodes, options.discovery_interval,
        [this](const std::vector<std::string>& nodes) { membership->listed(nodes); });
    membership->listed(discovery->nodes());
  }
  if (!options.listen.empty()) {
    door = std::make_unique<runtime::JoinDoor>(
        *network, io.context(), options.listen, *secret, rpc::ConnectionOptions::of(options),
        [this](const std::string& address, const std::string& from) {
          return join(address, from);
        });
  }
}

runtime::Fleet::Settings Origin::Impl::fleet_settings() const {
  return {rpc::PeerIdentity{"origin", incarnation, options.take_over},
          rpc::ConnectionOptions::of(options), options.call_timeout};
}

runtime::Membership::Hooks Origin::Impl::membership_hooks() {
  runtime::Membership::Hooks hooks;
  hooks.nodes = [this] {
    std::vector<std::string> nodes;
    for (auto& [address, open] : fleet.links()) nodes.push_back(std::move(address));
    return nodes;
  };
  hooks.ping = [this](const std::vector<std::string>& nodes, rpc::Clock::time_point deadline) {
    return fleet.heartbeat(nodes, deadline);
  };
  hooks.transition = [this](const std::string& name, const runtime::TransitionPlan& plan) {
    return transition_by(name, plan);
  };
  hooks.create_again = [this](const std::string& name, const std::string& dead) {
    create_again(name, dead);
  };
  hooks.replica_lost = [this](const std::string& name, const std::string& home) {
    failover.replica_lost(name, home, true);
  };
  return hooks;
}

runtime::HostControlHooks Origin::Impl::control_hooks() {
  runtime::HostControlHooks hooks;
  hooks.create = [this](const ComponentEntry& component, const runtime::InstantiateRequest& o) {
    OriginContext context(*this, o.name, o.config);
    return component.create(context);
  };
  hooks.drain_local_refs = [this](std::uint32_t id, rpc::Clock::time_point deadline) {
    // The transition gated the origin's cell of the component already.
    std::optional<std::string> name = directory.name_of(id);
    return !name || internal::drain_local_calls(directory.record(*name).cell.get(), deadline);
  };
  hooks.endpoint_for = [this](const std::string& location) { return fleet.peer(location); };
  return hooks;
}

runtime::Failover::Hooks Origin::Impl::failover_hooks() {
  runtime::Failover::Hooks hooks;
  hooks.transition = [this](const std::string& name, const runtime::TransitionPlan& plan) {
    return transition_by(name, plan);
  };
  hooks.reachable = [this](const std::string& home) {
    try {
      fleet.peer(home)->connection(rpc::Clock::now() + options.call_timeout);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  };
  hooks.reopen = [this](const std::string& name, std::uint32_t id, const std::string& home) {
    MutexLock lock(transition_mu);
    const runtime::ComponentRecord record = directory.record(name);
    const std::vector<std::string> homes = runtime::homes_of(record.placement);
    if (record.id != id || std::find(homes.begin(), homes.end(), home) == homes.end()) return;
    // Callers report every `moved ""` they get, also while a transition runs: only a home
    // still gated now, with none running, was broken (ungate says whether it was gated).
    const internal::Payload reply = home_for(home).run(runtime::ControlMethod::ungate,
                                                       runtime::UngateRequest{id, epoch.load()});
    if (runtime::decode<runtime::UngateReply>(runtime::ControlMethod::ungate, reply.body,
                                              options.limits)
            .reopened) {
      spdlog::warn("the home {} of '{}' was gated with no transition running; reopened it", home,
                   name);
    }
    // Either way, the callers it told `moved` wait for a rebind: the same placement, again.
    env().bind(record);
    push_directory(name, id, id, record.placement);
  };
  return hooks;
}

std::shared_ptr<BindingCell> Origin::Impl::resolve(const std::string& name) {
  return directory.resolve(name, [this](const std::string& n, const runtime::ComponentRecord& r) {
    runtime::create_component(env(), n, r);
  });
}

runtime::TransitionEnv Origin::Impl::env() {
  runtime::TransitionEnv e;
  e.home = [this](const std::string& location) -> runtime::Home& { return home_for(location); };
  e.new_id = [this] { return directory.new_id(); };
  e.config_of = [this](const std::string& name) {
    auto it = options.configs.find(name);
    return it == options.configs.end() ? ConfigMap{} : it->second;
  };
  e.bind = [this](const runtime::ComponentRecord& record) {
    runtime::bind_placement(*record.cell, *record.component, record.id, record.placement, reach());
  };
  e.commit = [this](const std::string& name, std::uint32_t old_id,
                    const runtime::ComponentRecord& next) {
    directory.commit(name, next);
    push_directory(name, old_id, next.id, next.placement);
  };
  e.timeout = options.call_timeout;
  e.limits = options.limits;
  return e;
}

runtime::Reach Origin::Impl::reach() {
  return runtime::Reach{host,
                        runtime::kOriginLocation,
                        [this](const std::string& location) -> std::shared_ptr<rpc::Endpoint> {
                          return fleet.peer(location);
                        },
                        options.call_timeout,
                        [this](const std::string& name, const std::string& home) {
                          failover.replica_lost(name, home, false);
                        },
                        [this](const std::string& name, std::uint32_t id, const std::string& home) {
                          failover.home_stale(name, id, home);
                        },
                        options.metrics};
}

runtime::Home& Origin::Impl::home_for(const std::string& location) {
  return location == runtime::kOriginLocation ? *local_home : fleet.home(location);
}

void Origin::Impl::check(const std::string& name, const Placement& target) {
  for (const std::string& home : runtime::homes_of(target)) {
    if (home == runtime::kOriginLocation) continue;
    split_address(home);
    fleet.require_secret(home);
  }
  resolve(name);
  PlacementRule::of(*directory.record(name).component).check(target);
}

TransitionReport Origin::Impl::transition(const std::string& name, const Placement& target) {
  check(name, target);
  membership->placed(runtime::homes_of(target));
  MutexLock lock(transition_mu);
  return transition_locked(name, directory.record(name), target);
}

std::optional<TransitionReport> Origin::Impl::transition_by(const std::string& name,
                                                            const runtime::TransitionPlan& plan) {
  // Each round lost means another transition of the component ran meanwhile.
  constexpr int kRounds = 8;
  for (int round = 0; round < kRounds; ++round) {
    const runtime::ComponentRecord seen = directory.record(name);
    const std::optional<Placement> target = plan(seen);
    if (!target) return std::nullopt;
    check(name, *target);
    membership->placed(runtime::homes_of(*target));
    MutexLock lock(transition_mu);
    const runtime::ComponentRecord record = directory.record(name);
    if (record.id == seen.id && record.placement == seen.placement) {
      return transition_locked(name, record, *target);
    }
  }
  throw std::runtime_error("'" + name + "' moved " + std::to_string(kRounds) +
                           " times while a move of it waited for its turn; it was not moved");
}

TransitionReport Origin::Impl::transition_locked(const std::string& name,
                                                 const runtime::ComponentRecord& record,
                                                 const Placement& target) {
  if (record.placement == target) {
    TransitionReport r;
    r.component = name;
    r.from = r.to = target.to_string();
    return r;
  }
  const std::uint64_t mine = ++epoch;
  running_epoch = mine;
  TransitionReport report;
  try {
    report = runtime::run_transition(env(), name, record, target, mine);
  } catch (...) {
    running_epoch = 0;
    if (options.metrics) options.metrics->transition(kind_of(target), "error", {});
    throw;
  }
  running_epoch = 0;
  if (options.metrics) {
    options.metrics->transition(kind_of(target), report.ok ? "ok" : "rolled_back", report.pause);
  }
  return report;
}

std::string_view Origin::Impl::kind_of(const Placement& target) {
  switch (target.kind) {
    case Placement::Kind::replicated:
      return "replicate";
    case Placement::Kind::sharded:
      return "shard";
    default:
      return "move";
  }
}

void Origin::Impl::push_directory(const std::string& name, std::uint32_t old_id,
                                  std::uint32_t new_id, const Placement& placement) {
  const runtime::RebindRequest order{name,
                                     old_id,
                                     new_id,
                                     static_cast<std::uint8_t>(placement.kind),
                                     runtime::homes_of(placement),
                                     placement.shard_replicas};
  for (auto& [node, pending] : fleet.start_all(runtime::ControlMethod::rebind, order)) {
    try {
      static_cast<void>(pending.wait());  // a rebind answers Done: only a failure tells
    } catch (const std::exception& ex) {
      spdlog::warn("could not tell node {} that '{}' moved: {}", node, name, ex.what());
    }
  }
}

std::vector<CallEdge> Origin::Impl::gather_call_metrics(bool on) {
  meter->set_on(on);
  std::map<std::pair<std::string, std::string>, CallEdge> merged;
  auto add = [&](CallEdge edge) {
    CallEdge& sum = merged[{edge.caller, edge.callee}];
    if (sum.calls == 0) {
      sum.caller = std::move(edge.caller);
      sum.callee = std::move(edge.callee);
    }
    sum.calls += edge.calls;
    sum.total_ms += edge.total_ms;
  };
  for (CallEdge& edge : meter->take()) add(std::move(edge));
  // Every node is asked at once, as push_directory does: the gather takes about one round
  // trip, not one per node. Those without a connection come last, since asking them connects.
  // A dead or drained node has nothing to tell, and would hold the gather up to the call
  // timeout.
  for (auto& [node, pending] :
       fleet.start_all(runtime::ControlMethod::metrics, runtime::MetricsRequest{on},
                       [this](const std::string& node) {
                         return membership->dead(node) || membership->left(node);
                       })) {
    try {
      internal::Payload reply = pending.wait();
      auto metrics = runtime::decode<runtime::MetricsReply>(runtime::ControlMethod::metrics,
                                                            reply.body, options.limits);
      for (auto& [caller, callee, calls, total_ms] : metrics.edges) {
        add(CallEdge{std::move(caller), std::move(callee), calls, total_ms});
      }
    } catch (const std::exception& ex) {
      spdlog::warn("no call metrics from node {}: {}", node, ex.what());
    }
  }
  std::vector<CallEdge> edges;
  for (auto& [key, edge] : merged) edges.push_back(std::move(edge));
  return edges;
}

void Origin::Impl::create_again(const std::string& name, const std::string& dead) {
  MutexLock lock(transition_mu);
  const runtime::ComponentRecord record = directory.record(name);
  const std::vector<std::string> homes = runtime::homes_of(record.placement);
  if (std::find(homes.begin(), homes.end(), dead) == homes.end()) return;  // moved meanwhile
  runtime::ComponentRecord next = record;
  next.id = directory.new_id();
  next.placement = Placement::local();
  runtime::create_component(env(), name, next);
  directory.commit(name, next);
  push_directory(name, record.id, next.id, next.placement);
  spdlog::warn("created stateless component '{}' again on the origin: its node {} is dead", name,
               dead);
}

void Origin::Impl::stop() {
  if (door) door->close();
  discovery.reset();
  membership->stop();
  failover.stop();
  fleet.resign("the origin is stopping");
  io.stop();
}

Origin::Origin(const Catalog& catalog, Options options)
    : impl_(std::make_unique<Impl>(catalog, std::move(options))) {}

Origin::~Origin() {
  impl_->stop();
}

std::vector<CallEdge> Origin::take_call_metrics() {
  return impl_->gather_call_metrics(true);
}

void Origin::stop_call_metrics() {
  impl_->gather_call_metrics(false);
}

void Origin::observe_entry(std::shared_ptr<EntryObserver> observer, std::string component) {
  impl_->meter->set_entry(std::move(observer), std::move(component));
}

Design Origin::placements() const {
  return impl_->directory.placements();
}

std::vector<Origin::NodeLink> Origin::nodes() const {
  std::vector<NodeLink> out;
  for (const auto& [address, open] : impl_->fleet.links()) {
    out.push_back(
        {address, open, impl_->membership->dead(address), impl_->membership->left(address)});
  }
  return out;
}

std::vector<std::string> Origin::members() const {
  return impl_->membership->members();
}

std::uint64_t Origin::members_version() const {
  return impl_->membership->version();
}

bool Origin::wait_for_members(std::uint64_t seen, std::chrono::milliseconds timeout) const {
  return impl_->membership->wait_changed(seen, timeout);
}

std::string Origin::listen_address() const {
  return impl_->door ? impl_->door->address() : std::string();
}

std::vector<Origin::LostComponent> Origin::lost_components() const {
  return impl_->membership->lost();
}

std::shared_ptr<BindingCell> Origin::resolve(std::string_view name) {
  return impl_->resolve(std::string(name));
}

const Options& Origin::options() const noexcept {
  return impl_->options;
}

const Catalog& Origin::catalog() const noexcept {
  return impl_->catalog;
}

TransitionReport Origin::relocate(std::string_view name, std::string_view host) {
  return impl_->transition(std::string(name), Placement::on(std::string(host)));
}

std::vector<TransitionReport> Origin::apply(const Design& design) {
  for (const auto& [name, placement] : design) impl_->check(name, placement);
  std::vector<TransitionReport> reports;
  for (const auto& [name, placement] : design) {
    reports.push_back(impl_->transition(name, placement));
  }
  return reports;
}

void Origin::stop() {
  impl_->stop();
}

}  // namespace hatch

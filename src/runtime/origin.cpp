#include "hatch/origin.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "hatch/context.hpp"
#include "hatch/internal/call_meter.hpp"
#include "hatch/internal/call_tracker.hpp"
#include "hatch/internal/codec.hpp"
#include "hatch/placement_rule.hpp"
#include "rpc/endpoint.hpp"
#include "rpc/io_pool.hpp"
#include "runtime/control.hpp"
#include "runtime/host.hpp"
#include "runtime/placement_binding.hpp"
#include "runtime/remote_component.hpp"
#include "runtime/state_transfer.hpp"

namespace hatch {

namespace {

std::string new_incarnation() {
  std::random_device rd;
  char buf[32];
  std::snprintf(buf, sizeof buf, "origin/%08x%08x", rd(), rd());
  return buf;
}

}  // namespace

struct Origin::Impl {
  struct Entry {
    std::uint32_t id = 0;
    const ComponentEntry* component = nullptr;
    std::shared_ptr<BindingCell> cell;
    Placement placement;
    bool ready = false;
    std::thread::id creator;

    // The home of a component placed local or on one node.
    std::string location() const { return runtime::homes_of(placement).front(); }
  };

  class OriginContext final : public Context {
   public:
    OriginContext(Impl& impl, std::string component, ConfigMap config)
        : Context(std::move(component), runtime::kOriginLocation, std::move(config)), impl_(impl) {}

   protected:
    std::shared_ptr<BindingCell> resolve(std::string_view name) override {
      return impl_.resolve(name);
    }

   private:
    Impl& impl_;
  };

  Impl(const Catalog& c, Options o)
      : catalog(c), options(std::move(o)), io(options.io_threads), host("origin", options.limits) {
    if (!options.secret.empty()) secret.emplace(rpc::ClusterSecret::from_bytes(options.secret));
    host.set_control(
        [this](const std::shared_ptr<rpc::Connection>& connection, std::uint32_t method,
               internal::Payload& request) { return control(connection, method, request); });
    host.set_lost_backup([this](const std::string& name, const std::string& home) {
      replica_lost(name, home, true);
    });
  }

  std::shared_ptr<BindingCell> resolve(std::string_view name_view) {
    const std::string name(name_view);
    std::unique_lock lock(mu);
    if (auto it = entries.find(name); it != entries.end()) {
      Entry& e = it->second;
      if (!e.ready && e.creator == std::this_thread::get_id()) {
        throw UsageError("dependency cycle: component '" + name +
                         "' needs itself while it is created");
      }
      if (!cv.wait_for(lock, options.call_timeout * 2, [&] {
            auto found = entries.find(name);
            return found == entries.end() || found->second.ready;
          })) {
        throw UsageError("component '" + name +
                         "' is still being created; is there a dependency cycle across hosts?");
      }
      auto found = entries.find(name);
      if (found == entries.end()) return resolve_again(lock, name);
      return found->second.cell;
    }
    return resolve_again(lock, name);
  }

  std::shared_ptr<BindingCell> resolve_again(std::unique_lock<std::mutex>& lock,
                                             const std::string& name) {
    if (entries.count(name) != 0) {
      lock.unlock();
      return resolve(name);
    }
    const ComponentEntry* component = catalog.find(name);
    if (component == nullptr) {
      throw UsageError("no component named '" + name +
                       "' is registered; registered: " + catalog.names_line());
    }
    Entry& e = entries[name];
    e.id = next_id++;
    e.component = component;
    e.cell = std::make_shared<BindingCell>(name, component->interface->name, meter);
    if (auto placed = options.placements.find(name); placed != options.placements.end()) {
      try {
        e.placement = Placement::parse(placed->second);
        PlacementRule::of(*component).check(e.placement);
      } catch (const UsageError& bad) {
        entries.erase(name);
        throw UsageError("the placement of '" + name + "': " + bad.what());
      }
    }
    e.creator = std::this_thread::get_id();
    const Entry snapshot = e;
    lock.unlock();
    try {
      create(name, snapshot);
    } catch (...) {
      lock.lock();
      entries.erase(name);
      cv.notify_all();
      throw;
    }
    lock.lock();
    entries[name].ready = true;
    cv.notify_all();
    return snapshot.cell;
  }

  ConfigMap config_of(const std::string& name) const {
    auto it = options.configs.find(name);
    return it == options.configs.end() ? ConfigMap{} : it->second;
  }

  void create(const std::string& name, const Entry& e) {
    const std::vector<std::string> homes = runtime::homes_of(e.placement);
    std::vector<std::string> created;
    try {
      for (const std::string& home : homes) {
        internal::Payload no_state;
        create_at(home, name, e.id, e, no_state);
        created.push_back(home);
      }
      set_backups(e, e.id, e.placement);
    } catch (...) {
      for (const std::string& home : created) remove_at(name, home, e.id);
      throw;
    }
    bind_cell(e);
    spdlog::info("created component '{}' (id {}) {}", name, e.id, describe(e.placement));
  }

  static std::string describe(const Placement& placement) {
    return placement.kind == Placement::Kind::local ? "on the origin" : placement.to_string();
  }

  // Makes the primary of a replicated stateful or keyed component forward its writes to the
  // other replicas.
  void set_backups(const Entry& e, std::uint32_t id, const Placement& placement) {
    if (placement.kind != Placement::Kind::replicated || e.component->kind == StateKind::stateless)
      return;
    const std::vector<std::string> homes = runtime::homes_of(placement);
    const std::vector<std::string> backups(homes.begin() + 1, homes.end());
    if (homes.front() == runtime::kOriginLocation) {
      std::vector<std::shared_ptr<runtime::RemoteComponent>> targets;
      for (const std::string& b : backups) {
        targets.push_back(std::make_shared<runtime::RemoteComponent>(
            peer_for(b), id, *e.component->interface, options.call_timeout));
      }
      host.set_backups(id, std::move(targets), backups);
    } else {
      control_call(homes.front(), runtime::ControlMethod::set_backups, id, backups);
    }
  }

  // Creates component `e` at `location`, loading `state` (a packed state and its tail) unless
  // its body is empty. The state reaches a node uncopied: its body as the request's last
  // argument, its tail as the request's tail.
  // In a resharding (`reshard`), the new instance also takes the entries that stay at
  // `location` from the old one there.
  void create_at(const std::string& location, const std::string& name, std::uint32_t id,
                 const Entry& e, internal::Payload& state,
                 const runtime::Reshard* reshard = nullptr) {
    const InterfaceEntry& iface = *e.component->interface;
    if (location == runtime::kOriginLocation) {
      OriginContext context(*this, name, config_of(name));
      Instance instance = e.component->create(context);
      if (!state.body.empty()) runtime::import_state(instance, state, options.limits);
      if (reshard != nullptr) {
        instance.keyed->import_entries(runtime::resharded_entries(
            host.find(reshard->old_id)->instance, reshard->new_homes, location, true));
      }
      host.add(id, name, iface, std::move(instance));
      return;
    }
    internal::WireBuffer body;
    msgpack::packer<internal::WireBuffer> pk(body);
    pk.pack_array(reshard != nullptr ? 8 : 6);
    pk.pack(name);
    pk.pack(id);
    pk.pack(location);
    pk.pack(config_of(name));
    pk.pack(std::string(iface.signature));
    if (state.body.empty()) pk.pack_nil();
    body.write(state.body.data(), state.body.size());
    if (reshard != nullptr) {
      pk.pack(reshard->old_id);
      pk.pack(reshard->new_homes);
    }
    rpc::Tail tail{state.landed ? std::shared_ptr<const void>(state.landed) : state.storage,
                   state.tail};
    runtime::call_remote(*peer_for(location), runtime::kControlComponent,
                         static_cast<std::uint32_t>(runtime::ControlMethod::instantiate),
                         std::move(body.bytes()), options.call_timeout,
                         "instantiate '" + name + "' on " + location, tail);
  }

  runtime::Reach reach() {
    return runtime::Reach{host, runtime::kOriginLocation,
                          [this](const std::string& location) -> std::shared_ptr<rpc::Endpoint> {
                            return peer_for(location);
                          },
                          options.call_timeout,
                          [this](const std::string& name, const std::string& home) {
                            replica_lost(name, home, false);
                          }};
  }

  // Points the origin's cell of `e` at its instances.
  void bind_cell(const Entry& e) {
    runtime::bind_placement(*e.cell, *e.component, e.id, e.placement, reach());
  }

  template <class... A>
  internal::Payload control_call(const std::string& location, runtime::ControlMethod method,
                                 const A&... args) {
    internal::WireBuffer body;
    internal::pack_args(body, args...);
    return runtime::call_remote(*peer_for(location), runtime::kControlComponent,
                                static_cast<std::uint32_t>(method), std::move(body.bytes()),
                                options.call_timeout,
                                std::string("control operation ") + runtime::to_string(method));
  }

  // Times the steps of a transition into its report.
  struct Stopwatch {
    TransitionReport& report;
    const rpc::Clock::time_point start = rpc::Clock::now();
    rpc::Clock::time_point mark = start;

    void step(const char* what) {
      const auto now = rpc::Clock::now();
      report.steps.push_back(
          {what, std::chrono::duration_cast<std::chrono::microseconds>(now - mark)});
      mark = now;
    }
    void end_pause() {
      report.pause =
          std::chrono::duration_cast<std::chrono::microseconds>(rpc::Clock::now() - start);
    }
  };

  // Closes the gate of the origin's cell of `e`: its callers wait until it is rebound.
  // Returns the target it was bound to.
  void* close_cell_gate(const Entry& e) {
    void* const old_target = e.cell->target();
    void* gate_self = nullptr;
    std::shared_ptr<void> gate =
        e.component->interface->make_gate(*e.cell, options.call_timeout, &gate_self);
    e.cell->bind(std::move(gate), gate_self, e.cell->binding());
    return old_target;
  }

  // Refuses (UsageError) a placement `name` cannot take, or a malformed address in it.
  void check(const std::string& name, const Placement& target) {
    for (const std::string& home : runtime::homes_of(target)) {
      if (home != runtime::kOriginLocation) rpc::split_address(home);
    }
    resolve(name);
    std::lock_guard lock(mu);
    PlacementRule::of(*entries.at(name).component).check(target);
  }

  TransitionReport transition(const std::string& name, const Placement& target) {
    check(name, target);
    std::lock_guard transition(transition_mu);
    Entry e;
    {
      std::lock_guard lock(mu);
      e = entries.at(name);
    }
    TransitionReport r;
    r.component = name;
    r.from = e.placement.to_string();
    r.to = target.to_string();
    if (e.placement == target) return r;
    const auto single = [](const Placement& p) {
      return p.kind == Placement::Kind::local || p.kind == Placement::Kind::on;
    };
    if (single(e.placement) && single(target)) return relocate(name, e, target, r);
    return redistribute(name, e, target, r);
  }

  // Moves a component that lives in one place to another, keeping its id: the state travels
  // once, uncopied, from the old home to the new one.
  TransitionReport relocate(const std::string& name, const Entry& e, const Placement& placement,
                            TransitionReport& r) {
    const std::string target = runtime::homes_of(placement).front();
    const std::string from = e.location();
    r.from = from;
    r.to = target;
    Stopwatch clock{r};
    const auto deadline = clock.start + options.call_timeout;
    // Close the gate: the origin's callers wait in the gate proxy; remote callers are told
    // `moved` and wait for their refs to be rebound.
    const Binding old_binding = e.cell->binding();
    void* const old_target = close_cell_gate(e);
    rpc::Tail taken;  // the state's bytes, when they were taken at the origin
    try {
      gate_at(name, e, from, deadline);
      clock.step("gate and drain");
      internal::Payload state = export_at(e, from, taken);
      r.state_bytes = state.body.size() + state.tail.size();
      clock.step("export");
      create_at(target, name, e.id, e, state);
      clock.step("instantiate and import");
    } catch (const std::exception& failure) {
      return abandon(name, e, {from}, taken, old_target, old_binding, clock, failure);
    }
    retire_at(name, from, e.id, target);
    Entry moved = e;
    moved.placement = placement;
    return complete(name, e, moved, old_target, old_binding, clock);
  }

  // Moves a component between placements of any kind: closes the gate at every old home,
  // gathers the state, creates the instances of the new placement under a new id with their
  // share of it (all of it for each replica, the entries of its shard for each shard), and
  // retires the old instances. Callers that reach an old instance are told `moved`.
  TransitionReport redistribute(const std::string& name, const Entry& e, const Placement& placement,
                                TransitionReport& r) {
    Stopwatch clock{r};
    const auto deadline = clock.start + options.call_timeout;
    const std::vector<std::string> old_homes = runtime::homes_of(e.placement);
    const std::vector<std::string> new_homes = runtime::homes_of(placement);
    const Binding old_binding = e.cell->binding();
    void* const old_target = close_cell_gate(e);
    Entry next = e;
    next.placement = placement;
    {
      std::lock_guard lock(mu);
      next.id = next_id++;
    }
    std::vector<std::string> gated;
    std::vector<std::string> created;
    internal::Payload whole;  // a stateful component's state, from its primary
    rpc::Tail taken;          // its bytes, when they were taken at the origin
    std::optional<StateEntries> entries;
    const bool resharding =
        e.placement.kind == Placement::Kind::sharded && placement.kind == Placement::Kind::sharded;
    try {
      // The primary first: its writes in flight reach the backups before they close. A replica
      // that cannot be reached leaves the set; every other one holds every acknowledged write.
      const bool replicas = e.placement.kind == Placement::Kind::replicated;
      for (const std::string& home : old_homes) {
        try {
          gate_at(name, e, home, deadline);
        } catch (const RemoteError& unreachable) {
          const bool gone = unreachable.code() == StatusCode::unavailable ||
                            unreachable.code() == StatusCode::connection_lost ||
                            unreachable.code() == StatusCode::unknown_component;
          if (!replicas || !gone) throw;
          spdlog::warn("replica of '{}' at {} is unreachable and leaves the set: {}", name, home,
                       unreachable.what());
          continue;
        }
        gated.push_back(home);
      }
      if (gated.empty()) throw UsageError("no replica of '" + name + "' can be reached");
      clock.step("gate and drain");
      if (e.component->kind == StateKind::stateful) {
        whole = export_at(e, gated.front(), taken);
        r.state_bytes = whole.body.size() + whole.tail.size();
      } else if (e.component->kind == StateKind::keyed) {
        // Every shard holds a part; every replica holds the whole. In a resharding, only the
        // entries whose shard changes leave their node.
        entries.emplace();
        const std::size_t parts = e.placement.kind == Placement::Kind::sharded ? gated.size() : 1;
        for (std::size_t i = 0; i < parts; ++i) {
          rpc::Tail unused;
          internal::Payload part =
              export_at(e, gated[i], unused, resharding ? &new_homes : nullptr);
          r.state_bytes += part.body.size();
          StateEntries got = runtime::decode_entries(part.body, options.limits);
          entries->insert(entries->end(), std::make_move_iterator(got.begin()),
                          std::make_move_iterator(got.end()));
        }
        r.entries_moved = entries->size();
      }
      clock.step("export");
      for (std::size_t i = 0; i < new_homes.size(); ++i) {
        internal::Payload state = whole;
        std::string packed;
        if (entries) {
          packed = runtime::pack_entries(
              *entries, placement.kind == Placement::Kind::sharded ? static_cast<int>(i) : -1,
              static_cast<std::uint32_t>(new_homes.size()));
          state = internal::Payload{nullptr, packed, {}, nullptr};
        }
        const bool kept = std::find(gated.begin(), gated.end(), new_homes[i]) != gated.end();
        const runtime::Reshard reshard(e.id, new_homes);
        create_at(new_homes[i], name, next.id, e, state, resharding && kept ? &reshard : nullptr);
        created.push_back(new_homes[i]);
      }
      set_backups(e, next.id, placement);
      clock.step("instantiate and import");
    } catch (const std::exception& failure) {
      for (const std::string& home : created) remove_at(name, home, next.id);
      return abandon(name, e, gated, taken, old_target, old_binding, clock, failure);
    }
    for (const std::string& home : gated) retire_at(name, home, e.id, placement.to_string());
    return complete(name, e, next, old_target, old_binding, clock);
  }

  // Ends a transition whose new instances are ready and whose old ones are retired: binds the
  // origin's cell to `next`, frees an old instance in this process (its calls drained at the
  // gate), records the move and tells the nodes.
  TransitionReport complete(const std::string& name, const Entry& e, const Entry& next,
                            void* old_target, const Binding& old_binding, Stopwatch& clock) {
    bind_cell(next);
    if (old_binding.kind == Binding::Kind::local) e.cell->release(old_target);
    clock.step("rebind");
    clock.end_pause();
    commit(name, next);
    push_directory(name, e.id, next.id, next.placement);
    clock.step("push directory");
    spdlog::info("{}", clock.report.to_string());
    return clock.report;
  }

  // Gives up a transition: the old homes that were gated reopen (the first with its taken
  // state), the origin's cell points at them again, and nodes whose callers were told `moved`
  // are pointed home too.
  TransitionReport abandon(const std::string& name, const Entry& e,
                           const std::vector<std::string>& gated, const rpc::Tail& taken,
                           void* old_target, const Binding& old_binding, Stopwatch& clock,
                           const std::exception& failure) {
    for (const std::string& home : gated) {
      reopen(name, e, home, home == gated.front() ? taken : rpc::Tail{});
    }
    e.cell->bind(nullptr, old_target, old_binding);
    push_directory(name, e.id, e.id, e.placement);
    TransitionReport& r = clock.report;
    r.ok = false;
    r.error = failure.what();
    clock.end_pause();
    spdlog::warn("{}", r.to_string());
    return r;
  }

  // Closes the gate of `e` at `home` and waits for the calls inside to finish.
  void gate_at(const std::string& name, const Entry& e, const std::string& home,
               rpc::Clock::time_point deadline) {
    if (home == runtime::kOriginLocation) {
      if (!internal::drain_local_calls(e.cell.get(), deadline) || !host.gate(e.id, deadline)) {
        throw UsageError("calls into '" + name + "' did not finish before the deadline");
      }
    } else {
      control_call(home, runtime::ControlMethod::gate, e.id);
    }
  }

  // The state of `e` at `home` (a gated instance), as export_state packs it. At the origin, a
  // stateful state's bytes are taken into `taken`, to give back if the transition fails. With
  // `new_homes` (a resharding), only the entries that leave `home`.
  internal::Payload export_at(const Entry& e, const std::string& home, rpc::Tail& taken,
                              const std::vector<std::string>* new_homes = nullptr) {
    if (home != runtime::kOriginLocation) {
      if (new_homes != nullptr) {
        return control_call(home, runtime::ControlMethod::export_state, e.id, *new_homes);
      }
      return control_call(home, runtime::ControlMethod::export_state, e.id);
    }
    if (new_homes != nullptr) {
      auto packed = std::make_shared<std::string>(runtime::pack_entries(
          runtime::resharded_entries(host.find(e.id)->instance, *new_homes, home, false), -1, 1));
      internal::Payload out;
      out.body = *packed;
      out.storage = std::move(packed);
      return out;
    }
    auto head = std::make_shared<internal::WireBuffer>();
    runtime::export_state(host.find(e.id)->instance, *head, taken);
    internal::Payload out;
    out.body = head->bytes();
    out.tail = taken.bytes;
    out.storage = std::shared_ptr<const void>(
        std::make_shared<std::pair<std::shared_ptr<internal::WireBuffer>, rpc::Tail>>(head, taken));
    return out;
  }

  // Opens the gate of `e` at `home` again after a failed transition; a stateful instance at the
  // origin gets `taken` back (a node keeps what it gave and restores it itself).
  void reopen(const std::string& name, const Entry& e, const std::string& home,
              const rpc::Tail& taken) {
    try {
      if (home == runtime::kOriginLocation) {
        try {
          if (auto instance = host.find(e.id)) runtime::restore_state(instance->instance, taken);
        } catch (const std::exception& lost) {
          spdlog::error("'{}' could not take its state back: {}", name, lost.what());
        }
        host.ungate(e.id);
      } else {
        control_call(home, runtime::ControlMethod::ungate, e.id);
      }
    } catch (const std::exception& again) {
      spdlog::error("reopening '{}' at {} failed too: {}", name, home, again.what());
    }
  }

  // Drops an instance that a failed transition created. Best effort: an instance left behind
  // is unreachable, since no binding names its id.
  void remove_at(const std::string& name, const std::string& home, std::uint32_t id) {
    try {
      if (home == runtime::kOriginLocation) {
        host.remove(id);
      } else {
        control_call(home, runtime::ControlMethod::remove, id);
      }
    } catch (const std::exception& ex) {
      spdlog::warn("could not remove the new instance of '{}' at {}: {}", name, home, ex.what());
    }
  }

  // Leaves a tombstone where `e` was: later calls there are told it went to `where`.
  void retire_at(const std::string& name, const std::string& home, std::uint32_t id,
                 const std::string& where) {
    try {
      if (home == runtime::kOriginLocation) {
        host.retire(id, where);
      } else {
        control_call(home, runtime::ControlMethod::retire, id, where);
      }
    } catch (const std::exception& ex) {
      spdlog::warn("'{}' moved to {}, but retiring it at {} failed: {}", name, where, home,
                   ex.what());
    }
  }

  void commit(const std::string& name, const Entry& next) {
    std::lock_guard lock(mu);
    Entry& e = entries.at(name);
    e.id = next.id;
    e.placement = next.placement;
  }

  // A replica of `name` at `home` did not answer a caller or its primary. Takes it out of the
  // set in the background (one failover per replica at a time), if it is really unreachable:
  // the transition gates the others, and the first live one is the primary from then on.
  // `missed_writes`: its primary dropped it, so it must leave the set even if it answers.
  void replica_lost(const std::string& name, const std::string& home, bool missed_writes) {
    {
      std::lock_guard lock(mu);
      if (!failovers.emplace(name, home).second) return;
    }
    asio::post(io.context(), [this, name, home, missed_writes] {
      try {
        fail_over(name, home, missed_writes);
      } catch (const std::exception& e) {
        spdlog::warn("could not take the replica of '{}' at {} out of its set: {}", name, home,
                     e.what());
      }
      std::lock_guard lock(mu);
      failovers.erase({name, home});
    });
  }

  void fail_over(const std::string& name, const std::string& home, bool missed_writes) {
    Placement placement;
    {
      std::lock_guard lock(mu);
      auto it = entries.find(name);
      if (it == entries.end()) return;
      placement = it->second.placement;
    }
    std::vector<std::string> homes = runtime::homes_of(placement);
    auto lost = std::find(homes.begin(), homes.end(), home);
    if (placement.kind != Placement::Kind::replicated || lost == homes.end()) return;
    if (!missed_writes) {
      if (home == runtime::kOriginLocation) return;  // the origin always reaches itself
      try {
        peer_for(home)->connection(rpc::Clock::now() + options.call_timeout);
        return;  // it answers, and holds every write: it keeps its place
      } catch (const std::exception&) {
      }
    }
    homes.erase(lost);
    const Placement next = runtime::placement_of(
        homes.size() > 1 ? Placement::Kind::replicated : Placement::Kind::on, homes);
    spdlog::warn("the replica of '{}' at {} {}: moving to {}", name, home,
                 missed_writes ? "missed writes" : "is unreachable", next.to_string());
    transition(name, next);
  }

  // Tells every node the origin talks to that `name` (id `old_id`) is now `new_id` at
  // `placement`. Best effort: the old homes answer a node that missed it `moved`, and that
  // node's callers wait for a rebind that only a later push brings, until their deadline.
  void push_directory(const std::string& name, std::uint32_t old_id, std::uint32_t new_id,
                      const Placement& placement) {
    std::vector<std::string> nodes;
    {
      std::lock_guard lock(peers_mu);
      for (const auto& [address, peer] : peers) nodes.push_back(address);
    }
    const auto kind = static_cast<std::uint8_t>(placement.kind);
    const std::vector<std::string> homes = runtime::homes_of(placement);
    for (const std::string& node : nodes) {
      try {
        control_call(node, runtime::ControlMethod::rebind, name, old_id, new_id, kind, homes);
      } catch (const std::exception& ex) {
        spdlog::warn("could not tell node {} that '{}' moved: {}", node, name, ex.what());
      }
    }
  }

  // Turns the timing of calls on or off here and on every node the origin talks to, and
  // gathers what each measured since the last time, summed per edge.
  std::vector<CallEdge> gather_call_metrics(bool on) {
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
    std::vector<std::string> nodes;
    {
      std::lock_guard lock(peers_mu);
      for (const auto& [address, peer] : peers) nodes.push_back(address);
    }
    for (const std::string& node : nodes) {
      try {
        internal::Payload reply = control_call(node, runtime::ControlMethod::metrics, on);
        msgpack::object_handle h = internal::unpack_untrusted(reply.body, options.limits);
        using Row = std::tuple<std::string, std::string, std::uint64_t, double>;
        for (auto& [caller, callee, calls, total_ms] : h.get().as<std::vector<Row>>()) {
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

  std::shared_ptr<rpc::Peer> peer_for(const std::string& address) {
    if (!secret) {
      throw UsageError("component placed on node " + address +
                       " but no cluster secret is set (--hatch-secret-file or Options::secret)");
    }
    std::lock_guard lock(peers_mu);
    auto& peer = peers[address];
    if (!peer) {
      rpc::ConnectionOptions copts;
      copts.limits = options.limits;
      copts.emulated_latency = options.emulated_link_latency;
      peer = std::make_shared<rpc::Peer>(
          io.context(), address, *secret, rpc::PeerIdentity{"origin", incarnation}, copts,
          [this](const std::shared_ptr<rpc::Connection>& c, const rpc::FrameHeader& h,
                 internal::Payload p) { host.serve(c, h, std::move(p)); });
    }
    return peer;
  }

  runtime::Reply control(const std::shared_ptr<rpc::Connection>&, std::uint32_t method,
                         internal::Payload& request) {
    msgpack::object_handle h = internal::unpack_untrusted(request.body, options.limits);
    if (method == static_cast<std::uint32_t>(runtime::ControlMethod::replica_lost)) {
      auto [name, home, missed_writes] = h.get().as<std::tuple<std::string, std::string, bool>>();
      replica_lost(name, home, missed_writes);
      internal::WireBuffer out;
      msgpack::pack(out, msgpack::type::nil_t());
      return runtime::Reply{StatusCode::ok, std::move(out.bytes())};
    }
    if (method != static_cast<std::uint32_t>(runtime::ControlMethod::resolve)) {
      return runtime::error_reply(StatusCode::permission_denied,
                                  "the origin takes only resolve and replica_lost from nodes");
    }
    auto [name] = h.get().as<std::tuple<std::string>>();
    std::shared_ptr<BindingCell> cell = resolve(name);
    std::lock_guard lock(mu);
    const Entry& e = entries.at(name);
    internal::WireBuffer out;
    msgpack::pack(out, std::make_tuple(e.id, std::string(cell->interface_name()),
                                       static_cast<std::uint8_t>(e.placement.kind),
                                       runtime::homes_of(e.placement)));
    return runtime::Reply{StatusCode::ok, std::move(out.bytes())};
  }

  void stop() {
    std::map<std::string, std::shared_ptr<rpc::Peer>> closing;
    {
      std::lock_guard lock(peers_mu);
      closing.swap(peers);
    }
    for (auto& [address, peer] : closing) peer->close("the origin is stopping");
    io.stop();
  }

  const Catalog& catalog;
  const Options options;
  // Names this origin to nodes, so that a node can tell a new origin from a reconnecting one.
  const std::string incarnation = new_incarnation();
  std::optional<rpc::ClusterSecret> secret;
  rpc::IoPool io;
  runtime::Host host;
  const std::shared_ptr<internal::CallMeter> meter = std::make_shared<internal::CallMeter>();
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, Entry> entries;                     // guarded by mu
  std::uint32_t next_id = 1;                                // guarded by mu
  std::set<std::pair<std::string, std::string>> failovers;  // guarded by mu: running ones
  std::mutex transition_mu;                                 // one transition at a time
  std::mutex peers_mu;
  std::map<std::string, std::shared_ptr<rpc::Peer>> peers;  // guarded by peers_mu
};

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
  std::lock_guard lock(impl_->mu);
  Design design;
  for (const auto& [name, e] : impl_->entries) {
    if (e.ready) design[name] = e.placement;
  }
  return design;
}

std::shared_ptr<BindingCell> Origin::resolve(std::string_view name) {
  return impl_->resolve(name);
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

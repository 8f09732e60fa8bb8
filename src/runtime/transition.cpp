#include "runtime/transition.hpp"

#include <algorithm>
#include <optional>

#include <spdlog/spdlog.h>

#include "hatch/internal/call_tracker.hpp"
#include "runtime/placement_binding.hpp"
#include "runtime/state_transfer.hpp"

namespace hatch::runtime {

namespace {

using Start = std::function<PendingOrder(Home& home, std::size_t i)>;

// Runs one step on every home at once: starts it on the nodes first and on the origin's own
// Host last (it runs while the nodes work), then waits for every one. Returns each home's
// failure, null where it succeeded; `replies`, if given, receives each reply.
std::vector<std::exception_ptr> on_all(const TransitionEnv& env,
                                       const std::vector<std::string>& homes, const Start& start,
                                       std::vector<internal::Payload>* replies = nullptr) {
  std::vector<PendingOrder> pending(homes.size());
  std::vector<std::exception_ptr> failures(homes.size());
  auto start_one = [&](std::size_t i) {
    try {
      pending[i] = start(env.home(homes[i]), i);
    } catch (...) {
      failures[i] = std::current_exception();
    }
  };
  for (std::size_t i = 0; i < homes.size(); ++i) {
    if (homes[i] != kOriginLocation) start_one(i);
  }
  for (std::size_t i = 0; i < homes.size(); ++i) {
    if (homes[i] == kOriginLocation) start_one(i);
  }
  if (replies != nullptr) replies->resize(homes.size());
  for (std::size_t i = 0; i < homes.size(); ++i) {
    if (failures[i]) continue;
    try {
      internal::Payload reply = pending[i].wait();
      if (replies != nullptr) (*replies)[i] = std::move(reply);
    } catch (...) {
      failures[i] = std::current_exception();
    }
  }
  return failures;
}

[[noreturn]] void rethrow_first(const std::vector<std::exception_ptr>& failures) {
  for (const std::exception_ptr& f : failures) {
    if (f) std::rethrow_exception(f);
  }
  throw UsageError("a transition step failed without a reason");
}

bool any(const std::vector<std::exception_ptr>& failures) {
  return std::any_of(failures.begin(), failures.end(), [](const auto& f) { return f != nullptr; });
}

std::string what_of(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an unknown failure";
  }
}

// The order that creates `record`'s instance at `home`, without state.
InstantiateRequest instantiate_order(const TransitionEnv& env, const std::string& name,
                                     const ComponentRecord& record, const std::string& home) {
  InstantiateRequest order;
  order.name = name;
  order.id = record.id;
  order.home = home;
  order.config = env.config_of(name);
  order.signature = std::string(record.component->interface->signature);
  return order;
}

bool single(const Placement& p) {
  return p.kind == Placement::Kind::local || p.kind == Placement::Kind::on;
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
    report.pause = std::chrono::duration_cast<std::chrono::microseconds>(rpc::Clock::now() - start);
  }
};

class Transition {
 public:
  Transition(const TransitionEnv& env, const std::string& name, const ComponentRecord& from,
             const Placement& to, std::uint64_t epoch)
      : env_(env),
        name_(name),
        from_(from),
        next_(from),
        epoch_(epoch),
        old_homes_(homes_of(from.placement)),
        old_sets_(replica_sets(from.placement)),
        new_homes_(homes_of(to)) {
    next_.placement = to;
    if (!single(from.placement) || !single(to)) next_.id = env.new_id();
    report_.component = name;
    report_.from = single(from.placement) ? old_homes_.front() : from.placement.to_string();
    report_.to = single(to) ? new_homes_.front() : to.to_string();
  }

  TransitionReport run() {
    // Close the origin's cell: its callers wait in the gate proxy; remote callers are told
    // `moved` by the gated homes and wait for the directory push.
    old_binding_ = from_.cell->binding();
    old_target_ = from_.cell->target();
    void* gate_self = nullptr;
    std::shared_ptr<void> gate =
        from_.component->interface->make_gate(*from_.cell, env_.timeout, &gate_self);
    from_.cell->bind(std::move(gate), gate_self, old_binding_);
    try {
      gate_old_homes();
      clock_.step("gate and drain");
      export_state();
      clock_.step("export");
      instantiate_new_homes();
      set_backups(env_, next_);
      clock_.step("instantiate and import");
    } catch (const std::exception& failure) {
      return abandon(failure.what());
    }
    retire_old_homes();
    return complete();
  }

 private:
  void gate_old_homes() {
    const GateRequest order{from_.id, epoch_};
    const Start gate = [&](Home& home, std::size_t) {
      return home.start(ControlMethod::gate, order);
    };
    // The primaries of replica sets first: their writes in flight reach the backups before
    // those close.
    std::vector<std::string> first;
    std::vector<std::string> rest;
    for (const std::vector<std::string>& set : old_sets_) {
      (set.size() > 1 ? first : rest).push_back(set.front());
      rest.insert(rest.end(), set.begin() + 1, set.end());
    }
    for (const std::vector<std::string>* group : {&first, &rest}) {
      if (group->empty()) continue;
      sent_gates_.insert(sent_gates_.end(), group->begin(), group->end());
      const std::vector<std::exception_ptr> failures = on_all(env_, *group, gate);
      for (std::size_t i = 0; i < group->size(); ++i) {
        if (!failures[i]) {
          gated_.push_back((*group)[i]);
          continue;
        }
        if (!has_fellow_replica(from_.placement, (*group)[i]) || !unreachable(failures[i])) {
          std::rethrow_exception(failures[i]);
        }
        // A replica that cannot be reached leaves the set; every other one holds every
        // acknowledged write.
        spdlog::warn("replica of '{}' at {} is unreachable and leaves the set: {}", name_,
                     (*group)[i], what_of(failures[i]));
      }
    }
    // Each set's first home that closed is where its state comes from.
    for (std::size_t s = 0; s < old_sets_.size(); ++s) {
      const auto source = std::find_first_of(old_sets_[s].begin(), old_sets_[s].end(),
                                             gated_.begin(), gated_.end());
      if (source == old_sets_[s].end()) {
        throw UsageError("no replica of '" + name_ + "'" +
                         (old_sets_.size() > 1 ? " shard " + std::to_string(s) : std::string()) +
                         " can be reached");
      }
      sources_.push_back(*source);
    }
  }

  static bool unreachable(const std::exception_ptr& failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const RemoteError& e) {
      return e.code() == StatusCode::unavailable || e.code() == StatusCode::connection_lost ||
             e.code() == StatusCode::unknown_component;
    } catch (...) {
      return false;
    }
  }

  // A resharding between plain shards, where only the entries whose shard changes move.
  bool resharding() const {
    return from_.placement.kind == Placement::Kind::sharded &&
           next_.placement.kind == Placement::Kind::sharded &&
           !from_.placement.has_replicated_shards() && !next_.placement.has_replicated_shards();
  }

  // One replica of every set exports: a shard holds a part, a replica the whole.
  void export_state() {
    const StateKind kind = from_.component->kind;
    if (kind == StateKind::stateless) return;
    const bool decode =
        kind == StateKind::keyed && (from_.placement.kind == Placement::Kind::sharded ||
                                     next_.placement.kind == Placement::Kind::sharded);
    ExportRequest order{from_.id, std::nullopt};
    if (resharding()) order.reshard_to = new_homes_;
    std::vector<internal::Payload> replies;
    const std::vector<std::exception_ptr> failures = on_all(
        env_, sources_,
        [&](Home& home, std::size_t) { return home.start(ControlMethod::export_state, order); },
        &replies);
    if (any(failures)) rethrow_first(failures);
    if (!decode) {
      whole_ = std::move(replies.front());
      report_.state_bytes = whole_.body.size() + whole_.tail.size();
      return;
    }
    entries_.emplace();
    for (const internal::Payload& part : replies) {
      report_.state_bytes += part.body.size();
      StateEntries got = decode_entries(part.body, env_.limits);
      entries_->insert(entries_->end(), std::make_move_iterator(got.begin()),
                       std::make_move_iterator(got.end()));
    }
    report_.entries_moved = entries_->size();
  }

  void instantiate_new_homes() {
    const bool sharded = next_.placement.kind == Placement::Kind::sharded;
    const std::vector<std::vector<std::string>> sets = replica_sets(next_.placement);
    std::vector<std::string> packed(new_homes_.size());
    // One new home takes the exported state itself, so that the origin's own home can adopt
    // a tail that landed in a buffer of its own instead of copying it.
    std::vector<internal::Payload> states(new_homes_.size() - 1, whole_);
    states.push_back(std::move(whole_));
    if (entries_) {
      // Every replica of shard s holds that shard's entries.
      std::size_t i = 0;
      for (std::size_t shard = 0; shard < sets.size(); ++shard) {
        for (std::size_t r = 0; r < sets[shard].size(); ++r, ++i) {
          packed[i] = pack_entries(*entries_, sharded ? static_cast<int>(shard) : -1,
                                   static_cast<std::uint32_t>(sets.size()));
          states[i] = internal::Payload{nullptr, packed[i], {}, nullptr};
        }
      }
    }
    const std::vector<std::exception_ptr> failures =
        on_all(env_, new_homes_, [&](Home& home, std::size_t i) {
          InstantiateRequest order = instantiate_order(env_, name_, next_, new_homes_[i]);
          order.has_state = !states[i].body.empty();
          const bool kept = std::find(gated_.begin(), gated_.end(), new_homes_[i]) != gated_.end();
          if (resharding() && kept) order.reshard = Reshard{from_.id, new_homes_};
          return home.start_instantiate(order, std::move(states[i]));
        });
    for (std::size_t i = 0; i < new_homes_.size(); ++i) {
      if (!failures[i]) created_.push_back(new_homes_[i]);
    }
    if (any(failures)) rethrow_first(failures);
  }

 public:
  // Makes the primary of each replica set of a stateful or keyed component forward its writes
  // to the other replicas of its set.
  static void set_backups(const TransitionEnv& env, const ComponentRecord& record) {
    if (record.component->kind == StateKind::stateless) return;
    for (const std::vector<std::string>& set : replica_sets(record.placement)) {
      if (set.size() < 2) continue;
      env.home(set.front())
          .run(ControlMethod::set_backups,
               SetBackupsRequest{record.id, std::vector<std::string>(set.begin() + 1, set.end())});
    }
  }

  // Drops the instances a failed step created. Best effort: an instance left behind is
  // unreachable, since no binding names its id.
  static void remove_from(const TransitionEnv& env, const std::string& name,
                          const std::vector<std::string>& homes, std::uint32_t id) {
    const std::vector<std::exception_ptr> failures =
        on_all(env, homes, [&](Home& home, std::size_t) {
          return home.start(ControlMethod::remove, RemoveRequest{id});
        });
    for (std::size_t i = 0; i < homes.size(); ++i) {
      if (failures[i]) {
        spdlog::warn("could not remove the new instance of '{}' at {}: {}", name, homes[i],
                     what_of(failures[i]));
      }
    }
  }

 private:
  void retire_old_homes() {
    const std::string where =
        single(next_.placement) ? new_homes_.front() : next_.placement.to_string();
    const RetireRequest order{from_.id, where};
    const std::vector<std::exception_ptr> failures =
        on_all(env_, gated_,
               [&](Home& home, std::size_t) { return home.start(ControlMethod::retire, order); });
    for (std::size_t i = 0; i < gated_.size(); ++i) {
      if (failures[i]) {
        spdlog::warn("'{}' moved to {}, but retiring it at {} failed: {}", name_, where, gated_[i],
                     what_of(failures[i]));
      }
    }
  }

  TransitionReport complete() {
    env_.bind(next_);
    // The old instance in this process drained at the gate: free it.
    if (old_binding_.kind == Binding::Kind::local) from_.cell->release(old_target_);
    clock_.step("rebind");
    clock_.end_pause();
    env_.commit(name_, from_.id, next_);
    clock_.step("push directory");
    spdlog::info("{}", report_.to_string());
    return report_;
  }

  TransitionReport abandon(const std::string& failure) {
    if (!created_.empty()) remove_from(env_, name_, created_, next_.id);
    // Every home that was sent a gate reopens, whether it answered or not; the first gated
    // one gets back the state export took.
    const UngateRequest order{from_.id, epoch_};
    const std::vector<std::exception_ptr> failures =
        on_all(env_, sent_gates_,
               [&](Home& home, std::size_t) { return home.start(ControlMethod::ungate, order); });
    for (std::size_t i = 0; i < sent_gates_.size(); ++i) {
      if (failures[i]) {
        spdlog::error("reopening '{}' at {} failed too (it reopens when its gate's lease ends): {}",
                      name_, sent_gates_[i], what_of(failures[i]));
      }
    }
    from_.cell->bind(nullptr, old_target_, old_binding_);
    env_.commit(name_, from_.id, from_);
    report_.ok = false;
    report_.error = failure;
    clock_.end_pause();
    spdlog::warn("{}", report_.to_string());
    return report_;
  }

  const TransitionEnv& env_;
  const std::string name_;
  const ComponentRecord from_;
  ComponentRecord next_;
  const std::uint64_t epoch_;
  const std::vector<std::string> old_homes_;
  const std::vector<std::vector<std::string>> old_sets_;
  const std::vector<std::string> new_homes_;
  TransitionReport report_;
  Stopwatch clock_{report_};
  Binding old_binding_;
  void* old_target_ = nullptr;
  std::vector<std::string> sent_gates_;  // homes sent a gate, answered or not
  std::vector<std::string> gated_;       // homes whose gate closed
  std::vector<std::string> sources_;     // per old replica set, the home its state comes from
  std::vector<std::string> created_;     // new homes that hold an instance
  internal::Payload whole_;              // the state as exported, when it goes on whole
  std::optional<StateEntries> entries_;  // a keyed state taken apart
};

}  // namespace

TransitionReport run_transition(const TransitionEnv& env, const std::string& name,
                                const ComponentRecord& from, const Placement& to,
                                std::uint64_t epoch) {
  return Transition(env, name, from, to, epoch).run();
}

void create_component(const TransitionEnv& env, const std::string& name,
                      const ComponentRecord& record) {
  const std::vector<std::string> homes = homes_of(record.placement);
  const internal::Payload no_state;
  std::vector<std::string> created;
  const std::vector<std::exception_ptr> failures =
      on_all(env, homes, [&](Home& home, std::size_t i) {
        return home.start_instantiate(instantiate_order(env, name, record, homes[i]), no_state);
      });
  for (std::size_t i = 0; i < homes.size(); ++i) {
    if (!failures[i]) created.push_back(homes[i]);
  }
  try {
    if (any(failures)) rethrow_first(failures);
    Transition::set_backups(env, record);
  } catch (...) {
    Transition::remove_from(env, name, created, record.id);
    throw;
  }
  env.bind(record);
  spdlog::info("created component '{}' (id {}) {}", name, record.id,
               record.placement.kind == Placement::Kind::local ? "on the origin"
                                                               : record.placement.to_string());
}

}  // namespace hatch::runtime

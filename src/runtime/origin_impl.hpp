// The origin's inside (Origin::Impl): its host, directory, fleet of nodes, membership and the
// transitions it runs, and what it answers nodes. origin.cpp builds it and runs transitions;
// origin_answers.cpp holds the answers to what nodes ask (joins, resolves, gate checks).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics.hpp"
#include "hatch/context.hpp"
#include "hatch/internal/mutex.hpp"
#include "hatch/origin.hpp"
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

struct Origin::Impl {
  class OriginContext final : public Context {
   public:
    OriginContext(Impl& impl, std::string component, ConfigMap config)
        : Context(std::move(component), runtime::kOriginLocation, std::move(config)), impl_(impl) {}

   protected:
    std::shared_ptr<BindingCell> resolve(std::string_view name) override {
      return impl_.resolve(std::string(name));
    }

   private:
    Impl& impl_;
  };

  Impl(const Catalog& c, Options o);

  // A fresh name for this origin, "origin/" and 64 random bits.
  static std::string new_incarnation();

  // A node at `address` asks to join (through `door`, from `from`): reach it there first, so
  // that a wrong address is reported to the node, then count it a member.
  std::string join(const std::string& asked, const std::string& from);

  runtime::Fleet::Settings fleet_settings() const;

  runtime::Membership::Hooks membership_hooks();

  runtime::HostControlHooks control_hooks();

  runtime::Failover::Hooks failover_hooks();

  std::shared_ptr<BindingCell> resolve(const std::string& name);

  runtime::TransitionEnv env();

  runtime::Reach reach();

  runtime::Home& home_for(const std::string& location);

  // Refuses (UsageError) a placement `name` cannot take, a malformed address in it, or a node
  // in it when no cluster secret is set.
  void check(const std::string& name, const Placement& target);

  TransitionReport transition(const std::string& name, const Placement& target);
  // Moves `name` where `plan` says, planned again if another transition ran while this one
  // waited for its turn; none when the plan says nothing is to move.
  std::optional<TransitionReport> transition_by(const std::string& name,
                                                const runtime::TransitionPlan& plan);
  // Runs the transition of `record` (named `name`) to `target`. Requires transition_mu.
  TransitionReport transition_locked(const std::string& name,
                                     const runtime::ComponentRecord& record,
                                     const Placement& target) HATCH_REQUIRES(transition_mu);

  // The kind of a transition, as hatch_transitions_total labels it: what the target is.
  static std::string_view kind_of(const Placement& target);

  // Tells every node the origin talks to, at once, that `name` (id `old_id`) is now `new_id`
  // at `placement`. Best effort: the old homes answer a node that missed it `moved`, and that
  // node's callers wait for a rebind that only a later push brings, until their deadline.
  // Sending to a node without a connection first connects, which can take up to the call
  // timeout (a host that is gone), so those nodes come last and delay no one else's push; they
  // are still tried, since a node cut off for a while comes back with the directory it had.
  void push_directory(const std::string& name, std::uint32_t old_id, std::uint32_t new_id,
                      const Placement& placement);

  // Turns the timing of calls on or off here and on every node the origin talks to, and
  // gathers what each measured since the last time, summed per edge.
  std::vector<CallEdge> gather_call_metrics(bool on);

  // Creates stateless `name`, whose only home `dead` died, again on the origin.
  void create_again(const std::string& name, const std::string& dead);

  // What nodes ask of the origin.
  runtime::Reply serve(const rpc::Connection& connection, std::uint32_t method_number,
                       internal::Payload& request);

  // A node's gate outlived its lease: keep it while its transition runs, reopen an instance
  // of the current placement, retire any other.
  runtime::GateCheckReply gate_check(const runtime::GateCheckRequest& order);

  void stop();

  const Catalog& catalog;
  const Options options;
  // Names this origin to nodes, so that a node can tell a new origin from a reconnecting one.
  const std::string incarnation = new_incarnation();
  const std::optional<rpc::ClusterSecret> secret =
      options.secret.empty() ? std::nullopt
                             : std::optional(rpc::ClusterSecret::from_bytes(options.secret));
  const std::shared_ptr<rpc::Network> network =
      options.network ? options.network : rpc::host_network(options.tls);
  const std::shared_ptr<internal::CallMeter> meter = std::make_shared<internal::CallMeter>();
  rpc::IoPool io;
  runtime::Host host;
  runtime::Directory directory;
  runtime::HostControl control;
  const std::unique_ptr<runtime::Home> local_home;
  Mutex transition_mu;                          // one transition at a time
  std::atomic<std::uint64_t> epoch{0};          // of the newest transition
  std::atomic<std::uint64_t> running_epoch{0};  // of the transition running now, or 0
  runtime::Fleet fleet;
  runtime::Failover failover;
  std::unique_ptr<runtime::Membership> membership;  // its thread calls all of the above
  std::unique_ptr<runtime::Discovery> discovery;    // its thread tells the membership
  std::unique_ptr<runtime::JoinDoor> door;          // its joins reach everything above
};

}  // namespace hatch

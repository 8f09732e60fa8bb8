// The orders of a transition, carried out on one process's Host: the origin runs them on its
// own Host directly (LocalHome), a node runs them for the origin's control calls (node.cpp).
// One implementation serves both, so the origin and a node cannot disagree on what an order
// means.
//
// Gates and their epochs: every transition has an epoch, and its gate orders carry it. An
// ungate reopens a gate only when it comes from the gate's transition or a later one, so a
// late ungate of an abandoned transition never reopens the gate of a newer one.
//
// Leases: on a node, a gate that no later order ended (export does not end it; ungate, retire
// and remove do) is checked with the origin once its lease has passed: the origin says whether
// the transition still runs (keep it), the instance belongs to the current placement (reopen
// it) or not (retire it there). A node that lost the ungate of an abandoned transition thus
// reopens by itself, and never reopens an instance a completed transition left behind.
// One timer sweeps the leases, armed only while some gate stands; a gate costs no timer of its
// own, so that a transition arms and cancels nothing (each would wake an I/O thread). A gate
// is checked between one and two leases after it closed.
//
// Failures throw the RemoteError whose code a control reply carries (unknown_component,
// deadline_exceeded, bad_request, ...), so that local and remote homes fail alike.
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hatch/catalog.hpp"
#include "hatch/internal/mutex.hpp"
#include "hatch/internal/wire_buffer.hpp"
#include "rpc/asio.hpp"
#include "rpc/connection.hpp"
#include "rpc/endpoint.hpp"
#include "runtime/control.hpp"
#include "runtime/host.hpp"

namespace hatch::runtime {

// What the origin says of a gate that outlived its lease.
enum class GateVerdict : std::uint8_t { keep = 0, reopen = 1, retire = 2 };

struct HostControlHooks {
  // Creates an instance of `component` for `order` (the process's Context for it).
  std::function<Instance(const ComponentEntry& component, const InstantiateRequest& order)> create;
  // Closes this process's own refs to `id` that call it directly, and waits for their calls.
  // Returns false if some still run at `deadline`.
  std::function<bool(std::uint32_t id, rpc::Clock::time_point deadline)> drain_local_refs;
  // Told when `id` is retired here: the instance at `self` is no longer reachable.
  std::function<void(std::uint32_t id, void* self)> retired;
  // Told when the gate of `id` reopens: this process's own refs to it point at it again.
  // May be empty.
  std::function<void(std::uint32_t id)> reopened;
  // The endpoint of a backup, for a primary's forwarding.
  std::function<std::shared_ptr<rpc::Endpoint>(const std::string& location)> endpoint_for;
  // On nodes: asks the origin about a gate past its lease; where = the component's placement
  // for a retire. Throws when the origin cannot be asked. Empty on the origin (no leases).
  std::function<std::pair<GateVerdict, std::string>(std::uint32_t id, std::uint64_t epoch)>
      check_gate;
};

class HostControl {
 public:
  // `host` and `catalog` must outlive this object; `io` runs the lease sweep.
  HostControl(Host& host, const Catalog& catalog, asio::io_context& io,
              std::chrono::milliseconds timeout, std::chrono::milliseconds lease,
              HostControlHooks hooks);
  ~HostControl();
  HostControl(const HostControl&) = delete;
  HostControl& operator=(const HostControl&) = delete;

  // Decodes and carries out one transition order (instantiate, gate, ungate, export, retire,
  // remove, set_backups): its reply, or the error reply of its failure. `request` is the
  // control request; an instantiate may take over its tail (the moving state).
  static bool is_order(ControlMethod method);
  Reply serve(ControlMethod method, internal::Payload& request);

  // Creates `order.id`, loading `state` when order.has_state (its head is `state.body`), and
  // in a resharding the entries of `order.reshard->old_id` that stay here.
  void instantiate(const InstantiateRequest& order, internal::Payload& state);
  void gate(const GateRequest& order);
  // Returns whether the instance was gated and is open now.
  bool ungate(const UngateRequest& order);
  // The state of a gated instance. A stateful state's bytes are taken from the instance and
  // kept here until retire (gone with it) or ungate (given back).
  Reply export_state(const ExportRequest& order);
  void retire(const RetireRequest& order);
  void remove(const RemoveRequest& order);
  void set_backups(const SetBackupsRequest& order);

  // Where this host is, as placements name it ("origin" or the node's address). Set once the
  // origin has named it (the first instantiate) on nodes.
  void set_self(std::string self);
  std::string self() const;
  // Forgets every gate and taken state (a new origin took over).
  void clear();

 private:
  struct Gate {
    std::uint64_t epoch = 0;
    std::optional<rpc::Clock::time_point> lease_ends;  // none on the origin
    rpc::Tail taken;                                   // what export took, to give back
  };
  std::shared_ptr<const HostedComponent> find(std::uint32_t id, const char* operation) const;
  // Starts the lease of gate `id` and makes sure the sweep will see it.
  void start_lease(std::uint32_t id, std::uint64_t epoch);
  // Arms the sweep for one lease from now unless it is armed. Requires mu_ held.
  void arm_sweep() HATCH_REQUIRES(mu_);
  // Checks every gate whose lease has ended, and arms the sweep again while gates stand.
  void sweep();
  void on_lease(std::uint32_t id, std::uint64_t epoch);
  // Ends the gate of `id` (if `epoch` is at least its own) and returns what export took.
  bool end_gate(std::uint32_t id, std::uint64_t epoch, rpc::Tail* taken);
  [[noreturn]] void fail(StatusCode code, ControlMethod method, const std::string& message) const;

  Host& host_;
  const Catalog& catalog_;
  const std::chrono::milliseconds timeout_;
  const std::chrono::milliseconds lease_;
  const HostControlHooks hooks_;
  mutable Mutex mu_;
  std::map<std::uint32_t, Gate> gates_ HATCH_GUARDED_BY(mu_);
  // Guarded by mu_: per instance, the newest epoch whose ungate came, so that a gate of that
  // transition that arrives after it (its handler ran late) does not close the gate again.
  std::map<std::uint32_t, std::uint64_t> reopened_ HATCH_GUARDED_BY(mu_);
  std::string self_ HATCH_GUARDED_BY(mu_);
  asio::steady_timer sweep_timer_;
  bool sweep_armed_ HATCH_GUARDED_BY(mu_) = false;
  bool stopped_ HATCH_GUARDED_BY(mu_) = false;
};

}  // namespace hatch::runtime

// The control operations: how the origin builds the component graph and moves components, and
// what nodes tell the origin. They are methods of the reserved component id 0. Each operation's
// request and reply is a struct below, declared once, encoded as the project's wire types
// (HATCH_FIELDS), and used by both sides; a request that does not decode as its struct is a
// bad_request naming the operation.
//
// Orders from the origin to a node (refused from any other peer):
//   instantiate  InstantiateRequest, then the state's packed head (runtime/state_transfer.hpp)
//                when has_state, then the state's tail as the frame's tail   -> Done
//   gate         GateRequest      close the gate of `id` and drain its calls -> Done
//   ungate       UngateRequest    reopen it (the transition was abandoned)   -> UngateReply
//   export       ExportRequest    the state of a gated `id`                  -> a packed state
//   retire       RetireRequest    drop `id`; its calls are told `moved`      -> Done
//   remove       RemoveRequest    drop `id` without a trace                  -> Done
//   set_backups  SetBackupsRequest  make `id` a primary forwarding to them   -> Done
//   rebind       RebindRequest    the directory changed                      -> Done
//   metrics      MetricsRequest   call timing on or off                      -> MetricsReply
//   resign       Resign           the origin stops: drop its components      -> Done
//   heartbeat    Done             are you there (runtime/node_monitor.hpp)   -> Done
// From a node to the origin:
//   resolve      ResolveRequest   where a component is                       -> ResolveReply
//   replica_lost ReplicaLostRequest  a replica did not answer                -> Done
//   home_stale   HomeStaleRequest a home of the current placement answered `moved`  -> Done
//   gate_check   GateCheckRequest does a gate that outlived its lease still stand -> GateCheckReply
//   drain        DrainRequest     the node is leaving: move its components away -> DrainReply
// From a node to the origin's door (Options::listen, runtime/join_door.hpp), the only operation
// it serves:
//   join         JoinRequest      dial me at `address` and count me a member -> Done
//
// A home is "origin" (kOriginLocation) or the address of the node that hosts an instance; a
// replicated component's primary comes first, a sharded one's shards in shard order.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "hatch/config_value.hpp"
#include "hatch/internal/wire_buffer.hpp"
#include "hatch/internal/wire_limits.hpp"
#include "hatch/wire_type.hpp"

namespace hatch::runtime {

inline constexpr std::uint32_t kControlComponent = 0;
// The method id no interface has, by which a primary replica sends a backup a batch of writes
// to apply in order (runtime/replication.hpp).
inline constexpr std::uint32_t kApplyWritesMethod = 0xFFFF'FFFF;
inline constexpr const char* kOriginLocation = "origin";

enum class ControlMethod : std::uint32_t {
  instantiate = 1,
  resolve = 2,
  gate = 3,
  ungate = 4,
  export_state = 5,
  retire = 6,
  rebind = 7,
  remove = 8,
  set_backups = 9,
  replica_lost = 10,
  metrics = 11,
  home_stale = 12,
  gate_check = 13,
  resign = 14,
  heartbeat = 15,
  drain = 16,
  join = 17,
};

// The operation's name, as the table above spells it.
const char* to_string(ControlMethod method);

// An origin that stops tells its nodes so: they drop its components, and the next origin may
// take them over at once instead of after the lease (NodeOptions::origin_lease).
struct Resign {
  std::string reason;
  HATCH_FIELDS(reason);
};

// A node leaving asks the origin to move every component with a home there elsewhere first.
struct DrainRequest {
  std::string reason;  // "SIGTERM", for the origin's log
  HATCH_FIELDS(reason);
};

// A node joins a running origin: the origin dials it back at `address` (its HOST:PORT as others
// reach it) and answers once it has proved the secret there.
struct JoinRequest {
  std::string address;
  HATCH_FIELDS(address);
};

struct DrainReply {
  std::vector<std::string> moved;   // "name -> placement"
  std::vector<std::string> failed;  // "name: why"; still there when the node leaves
  HATCH_FIELDS(moved, failed);
};

// The reply of an operation that returns nothing.
struct Done {
  bool ok = true;
  HATCH_FIELDS(ok);
};

// A resharding of a keyed component: the new instance also keeps the entries of `old_id` that
// stay on its node (shard i of the new placement lives at new_homes[i]).
struct Reshard {
  std::uint32_t old_id = 0;
  std::vector<std::string> new_homes;
  HATCH_FIELDS(old_id, new_homes);
};

struct InstantiateRequest {
  std::string name;
  std::uint32_t id = 0;
  std::string home;  // the node's name for itself, as the placement spells it
  ConfigMap config;
  std::string signature;   // of the interface: origin and node must agree
  bool has_state = false;  // the packed state follows this struct in the body
  std::optional<Reshard> reshard;
  HATCH_FIELDS(name, id, home, config, signature, has_state, reshard);
};

// Gates carry the epoch of the transition that sent them: a node reopens a gate only for an
// ungate of that transition or a later one, so a late ungate never reopens a newer gate.
struct GateRequest {
  std::uint32_t id = 0;
  std::uint64_t epoch = 0;
  HATCH_FIELDS(id, epoch);
};

struct UngateRequest {
  std::uint32_t id = 0;
  std::uint64_t epoch = 0;
  HATCH_FIELDS(id, epoch);
};

struct UngateReply {
  bool reopened = false;  // the instance was gated, and is open now
  HATCH_FIELDS(reopened);
};

struct ExportRequest {
  std::uint32_t id = 0;
  // A resharding to these homes: only the entries that leave the node.
  std::optional<std::vector<std::string>> reshard_to;
  HATCH_FIELDS(id, reshard_to);
};

struct RetireRequest {
  std::uint32_t id = 0;
  std::string where;  // told to later callers
  HATCH_FIELDS(id, where);
};

struct RemoveRequest {
  std::uint32_t id = 0;
  HATCH_FIELDS(id);
};

struct SetBackupsRequest {
  std::uint32_t id = 0;
  std::vector<std::string> backups;
  HATCH_FIELDS(id, backups);
};

struct RebindRequest {
  std::string name;
  std::uint32_t old_id = 0;
  std::uint32_t new_id = 0;
  std::uint8_t kind = 0;  // Placement::Kind
  std::vector<std::string> homes;
  std::vector<std::uint32_t> shard_replicas;  // Placement::shard_replicas
  HATCH_FIELDS(name, old_id, new_id, kind, homes, shard_replicas);
};

struct MetricsRequest {
  bool on = false;
  HATCH_FIELDS(on);
};

struct MetricsReply {
  // caller, callee, calls, total milliseconds (internal/call_meter.hpp)
  std::vector<std::tuple<std::string, std::string, std::uint64_t, double>> edges;
  HATCH_FIELDS(edges);
};

struct ResolveRequest {
  std::string name;
  HATCH_FIELDS(name);
};

struct ResolveReply {
  std::uint32_t id = 0;
  std::string interface;
  std::uint8_t kind = 0;  // Placement::Kind
  std::vector<std::string> homes;
  std::vector<std::uint32_t> shard_replicas;  // Placement::shard_replicas
  HATCH_FIELDS(id, interface, kind, homes, shard_replicas);
};

struct ReplicaLostRequest {
  std::string name;
  std::string home;
  bool missed_writes = false;  // its primary dropped it: it must leave even if it answers
  std::uint32_t id = 0;        // the instance whose replica it is; 0: whichever is current
  HATCH_FIELDS(name, home, missed_writes, id);
};

struct HomeStaleRequest {
  std::string name;
  std::uint32_t id = 0;
  std::string home;
  HATCH_FIELDS(name, id, home);
};

struct GateCheckRequest {
  std::uint32_t id = 0;
  std::uint64_t epoch = 0;
  std::string home;  // the asking node, as placements name it
  HATCH_FIELDS(id, epoch, home);
};

struct GateCheckReply {
  // GateVerdict (host_control.hpp): keep (its transition still runs), reopen (the instance
  // belongs to the current placement) or retire (it does not; `where` names the placement).
  std::uint8_t verdict = 0;
  std::string where;
  HATCH_FIELDS(verdict, where);
};

// Packs a control message.
template <class Message>
std::string encode(const Message& message);

// Decodes a control message of `method` from untrusted bytes. Throws internal::BadArguments,
// naming the operation, when they do not hold one. With `rest`, the bytes after the message
// are left there instead of being refused.
template <class Message>
Message decode(ControlMethod method, std::span<const char> bytes,
               const internal::WireLimits& limits, std::span<const char>* rest = nullptr);

}  // namespace hatch::runtime

// Settings of the origin and of nodes. Every field documents its default and its trade-off.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hatch/config_value.hpp"
#include "hatch/internal/wire_limits.hpp"

namespace hatch {

namespace rpc {
class Network;
}  // namespace rpc
namespace internal {
class Metrics;
}  // namespace internal

// The files of mutual TLS, all three or none (`hatch certs` makes them; docs/guide.md, "Mutual
// TLS"). PEM files; see Options::tls.
struct TlsFiles {
  // This process's certificate, signed by the cluster's CA (intermediate certificates may
  // follow it). A node's must name the host that others dial it by.
  std::string cert_file;
  // Its private key, without a passphrase. Refused when its group or others may read it.
  std::string key_file;
  // The CA's certificate: a peer must present a certificate it signed.
  std::string ca_file;

  // Whether TLS is asked for: any file is named (a partial set is then refused).
  bool enabled() const noexcept {
    return !cert_file.empty() || !key_file.empty() || !ca_file.empty();
  }
};

struct Options {
  // Where each component is created, as Placement::parse reads it: "local" (the default for a
  // component not listed), a node's "host:port", "replicated{h1,h2,...}" or "sharded{...}".
  std::map<std::string, std::string> placements;

  // Configuration handed to each component through its Context. Default: none.
  std::map<std::string, ConfigMap> configs;

  // The cluster secret (at least 16 bytes). Required as soon as a component is placed on a node;
  // nodes refuse a peer that cannot prove it.
  std::string secret;

  // The nodes this origin may place components on, besides those that join it (`listen`). Each
  // is "host:port", "file:PATH" (a file of one "host:port" per line, read again when it
  // changes) or "dns:NAME:PORT" (every A and AAAA record of NAME, resolved again every
  // discovery_interval: a Kubernetes headless Service). A file or name that fails keeps the
  // nodes it listed last. The autopilot's design space follows these nodes, less the dead and
  // the drained (Origin::members). Default: none. --hatch-nodes, `nodes` in TOML.
  std::vector<std::string> nodes;
  // How often files and DNS names of `nodes` are read again. Default 2 s: a new pod is used
  // within seconds, for one stat or lookup per source per interval. --hatch-discovery-ms.
  std::chrono::milliseconds discovery_interval{2000};
  // Where this origin accepts nodes that join it (`hatch node --join`, --hatch-join),
  // "host:port": a node proves the cluster secret there, the origin dials it back at the
  // address it gives, and it is a member from then on. Default "": no joining.
  // --hatch-listen, `listen` in TOML.
  std::string listen;

  // Mutual TLS on every connection: each side presents a certificate signed by the CA and
  // checks the other's, a client checks that a node's certificate names the host it dialled,
  // and the cluster secret is still proved inside. Default: off (no files): after the secret's
  // handshake, frames cross the network in clear, and anyone on the path can read them or
  // inject frames. On: every byte is encrypted and authenticated, for a TLS handshake per
  // connection and some latency per call (`make bench`: remote_p50_us_64B_tls beside
  // remote_p50_us_64B). Every process of a cluster must agree: with TLS, or all without.
  TlsFiles tls;

  // Deadline of each remote call, including connecting when needed. Default 5 s: long enough
  // for a large state transfer on loopback, short enough that a dead host surfaces quickly.
  std::chrono::milliseconds call_timeout{5000};

  // A peer that sends part of a frame and then nothing for this long, or reads nothing for this
  // long while answers wait for it, loses its connection (its calls fail with connection_lost).
  // Default 30 s: far beyond any pause of a live peer, short enough to free what a stuck one
  // holds.
  std::chrono::milliseconds stall_timeout{30000};

  // How often the origin asks every node it has dialled whether it is alive, and how long a node
  // may answer none of these heartbeats before the origin takes it as dead. Then a stateless
  // component that lived only there is created again on the origin, a replicated one drops
  // that replica, and one whose state lived only there is reported lost, loudly, by name
  // (Origin::lost_components). Defaults 1 s and 10 s: detection within 11 s, for one small
  // frame per node per second; a shorter timeout detects sooner and takes a long pause (a
  // stalled disk, a stop-the-world pause) for a death more easily. heartbeat_interval 0: off.
  // --hatch-heartbeat-ms and --hatch-node-timeout-ms.
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds node_timeout{10000};

  // Threads that run network I/O and serve incoming calls (callbacks from nodes). Default 64:
  // a served call that calls out blocks its thread until the answer comes, so the pool must
  // outnumber the calls that block at once (a web server on a node serves one per connection).
  int io_threads = 64;

  // EMULATION, for one machine standing in for a data center: every frame this process sends
  // waits this long before it is written, as if each of its links were that much longer. Not a
  // property of the network. Default 0 (off).
  std::chrono::milliseconds emulated_link_latency{0};

  // Bounds on frames and decoded values, applied to everything received.
  internal::WireLimits limits;

  // Take the nodes over from the origin they belong to now, even while it is alive: they drop
  // its components. Default false: a node refuses a new origin while its origin is connected,
  // and for NodeOptions::origin_lease after it was lost, so that a second program started by
  // mistake with the same secret cannot wipe a running one. Set it (--hatch-take-over) to
  // replace an origin that is hung or cut off.
  bool take_over = false;

  // Where this process serves HTTP for operators, "host:port" (port 0: any free port; the log
  // says which): GET /metrics in the Prometheus text format, /healthz, and on the origin the
  // dashboard and its JSON API (docs/guide.md, "Reading the dashboard"). Default "" (off).
  // Served by hatch::App (--hatch-http-listen, `http_listen` in TOML). On an address that is
  // not loopback it serves only with a token.
  std::string http_listen;
  // A file holding the token every HTTP request but /healthz must then carry (Authorization:
  // Bearer, or ?token=): --hatch-http-token-file, `http_token_file` in TOML (relative to the
  // file's folder). Default "": no token, so loopback only. Private to its owner, as the secret.
  std::string http_token_file;

  // Where the origin counts calls to remote components, transitions, connections and frames
  // (src/core/metrics.hpp). Default (null): nowhere, and nothing is counted. hatch::App makes
  // one when http_listen is set; a test may pass its own.
  std::shared_ptr<internal::Metrics> metrics;

  // How this process dials nodes. Default (null): TCP, or TLS over it when `tls` is set. Tests
  // pass a view of an in-memory network (rpc::MemoryNetwork::host) to run an origin and its
  // nodes in one process, with faults they inject; nothing else should need it.
  std::shared_ptr<rpc::Network> network;
};

struct NodeOptions {
  // Address to listen on, "host:port"; port 0 picks a free port (see Node::address()).
  std::string listen = "127.0.0.1:0";

  // The cluster secret (at least 16 bytes); peers that cannot prove it are refused.
  std::string secret;

  // Mutual TLS on every connection it accepts or makes. Default: off; see Options::tls.
  TlsFiles tls;

  // Threads that run network I/O and serve calls. Default 64; see Options::io_threads.
  int io_threads = 64;

  // Deadline of calls this node makes (to dependencies, to the origin). Default 5 s.
  std::chrono::milliseconds call_timeout{5000};

  // A peer stalled this long half-way through a frame, or not reading, loses its connection.
  // Default 30 s; see Options::stall_timeout.
  std::chrono::milliseconds stall_timeout{30000};

  // How long a new connection may take to authenticate before it is dropped. Default 5 s.
  std::chrono::milliseconds handshake_timeout{5000};

  // Connections still authenticating, in all and from one IP address. One over the address's
  // cap is closed at once; one over the total cap takes the place of the one that has waited
  // longest, so that silent peers cannot keep out a peer that proves the secret. Defaults 256
  // and 16: enough for every peer of a large cluster to reconnect at
  // once, few enough that unauthenticated peers cannot take the node's descriptors.
  std::size_t max_handshakes = 256;
  std::size_t max_handshakes_per_source = 16;

  // How long after its origin's connection was lost without the origin resigning (an origin
  // resigns when it stops) the node still refuses a different origin, so that the lost one can
  // reconnect and find its components. Default 10 s: longer than a reconnect takes, short
  // enough that a restarted origin waits briefly. An origin with Options::take_over does not
  // wait.
  std::chrono::milliseconds origin_lease{10000};

  // EMULATION: every frame this node sends waits this long; see Options. Default 0 (off).
  std::chrono::milliseconds emulated_link_latency{0};

  // The origin to join, the address of its door (Options::listen), or "" (default): the origin
  // finds this node itself (Options::nodes or a placement naming it). The node joins once it
  // listens, retrying until the origin answers, and joins again whenever it has been without an
  // origin for rejoin_interval. `advertise` is the address the origin should dial it back at;
  // "" (default): the address it listens on, which must then name a host, not 0.0.0.0 or [::].
  std::string join;
  std::string advertise;
  std::chrono::milliseconds rejoin_interval{5000};

  // On SIGTERM or SIGINT, how long the node waits for its origin to move its components away
  // before it stops anyway (a second signal stops it at once). Default 60 s: several moves of
  // large states; Kubernetes's default grace period is 30 s, so raise
  // terminationGracePeriodSeconds with it. 0: stop at once, without draining.
  std::chrono::milliseconds drain_timeout{60000};

  internal::WireLimits limits;

  // Where the node counts calls to remote components, connections and frames; see
  // Options::metrics. Default (null): nowhere. The node does not serve it itself: `hatch node
  // --http-listen HOST:PORT` and --hatch-node with --hatch-http-listen make one and serve it
  // (hatch::run_node).
  std::shared_ptr<internal::Metrics> metrics;

  // How this node listens and dials. Default (null): TCP, or TLS over it when `tls` is set;
  // see Options::network.
  std::shared_ptr<rpc::Network> network;
};

}  // namespace hatch

// The nodes the origin talks to: for each node address, the peer that connects to it and the home
// that sends it control orders, made on first use. It sends one order to many nodes at once, the
// way the origin speaks to its nodes (a directory push, a metrics gather, heartbeats, the
// resignation): one round trip for all of them, not one per node, and the nodes without a
// connection last, since reaching them first connects, which can take up to the call timeout.
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hatch/internal/mutex.hpp"
#include "rpc/endpoint.hpp"
#include "runtime/control.hpp"
#include "runtime/home.hpp"

namespace hatch::runtime {

class Fleet {
 public:
  struct Settings {
    rpc::PeerIdentity self;               // the origin's name in every handshake
    rpc::ConnectionOptions connection;    // of every connection to a node
    std::chrono::milliseconds timeout{};  // of each order
  };

  // `secret` (null: none set, and no node can be reached) and `io` must outlive the fleet;
  // `on_request` serves what nodes send on the origin's connections (callbacks).
  Fleet(std::shared_ptr<rpc::Network> network, asio::io_context& io,
        const rpc::ClusterSecret* secret, Settings settings,
        rpc::Connection::RequestHandler on_request);

  // The peer and home of the node at `address`, made on first use. Throws UsageError when no
  // cluster secret is set.
  std::shared_ptr<rpc::Peer> peer(const std::string& address);
  Home& home(const std::string& address);
  // Throws that UsageError, naming `address`, when no cluster secret is set; a transition asks
  // before it closes any gate.
  void require_secret(const std::string& address) const;

  // Every node dialled so far, and whether a connection to it is open now.
  std::vector<std::pair<std::string, bool>> links() const;
  // Every node dialled so far, those with an open connection first.
  std::vector<std::string> connected_first() const;

  // Starts `method` with `order` on each node of connected_first() that `skip` does not exclude
  // (null: none), all at once, and returns the pending replies in that order.
  template <class Order>
  std::vector<std::pair<std::string, PendingOrder>> start_all(
      ControlMethod method, const Order& order,
      const std::function<bool(const std::string&)>& skip = nullptr) {
    std::vector<std::pair<std::string, PendingOrder>> started;
    for (const std::string& node : connected_first()) {
      if (!skip || !skip(node)) started.emplace_back(node, home(node).start(method, order));
    }
    return started;
  }

  // One heartbeat to each of `nodes`, connecting first where needed, all answered by `deadline`
  // or taken as unanswered (runtime/node_monitor.hpp).
  std::vector<bool> heartbeat(const std::vector<std::string>& nodes,
                              rpc::Clock::time_point deadline);

  // Tells every node connected now that the origin stops, all at once, waiting a second at most,
  // then closes every connection; the fleet is empty afterwards. A node that does not answer
  // keeps the origin's components until a new origin takes it over.
  void resign(const std::string& reason);

 private:
  // Sends one control order to each of `connections` at once and waits for every answer until
  // `deadline`. A null connection gets no order; its response says so.
  static std::vector<rpc::Connection::Response> order_all(
      const std::vector<std::shared_ptr<rpc::Connection>>& connections, ControlMethod method,
      const std::string& body, rpc::Clock::time_point deadline);

  const std::shared_ptr<rpc::Network> network_;
  asio::io_context& io_;
  const rpc::ClusterSecret* const secret_;
  const Settings settings_;
  const rpc::Connection::RequestHandler on_request_;
  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<rpc::Peer>> peers_ HATCH_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<Home>> homes_ HATCH_GUARDED_BY(mu_);
};

}  // namespace hatch::runtime

// A node: a Hatch process that hosts component instances at the origin's request.
//
// It listens on an address, accepts only peers that prove the cluster secret, creates
// components only when the origin orders it, serves their calls, and lets them call their
// dependencies wherever they live (including back on the origin, over the origin's connection).
//
//   hatch::NodeOptions options;
//   options.listen = "127.0.0.1:7001";
//   options.secret = read_secret();
//   hatch::Node node(hatch::Catalog::program(), options);
//   node.run_until_signal();   // SIGTERM or SIGINT ends it cleanly
#pragma once

#include <memory>
#include <string>

#include "hatch/catalog.hpp"
#include "hatch/options.hpp"

namespace hatch {

class Node {
 public:
  // Binds the listening socket and starts serving. Throws UsageError when the address is
  // malformed or cannot be bound, or the secret is too short.
  Node(const Catalog& catalog, NodeOptions options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // The address the node listens on, with the real port when options.listen asked for port 0.
  const std::string& address() const noexcept;

  // Blocks until SIGTERM or SIGINT arrives, or stop() is called.
  void run_until_signal();

  // Stops accepting, closes every connection and stops serving. Idempotent.
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hatch

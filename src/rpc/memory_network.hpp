// An in-memory network for tests: hosts by name, streams that never touch a socket, and faults
// that a test injects link by link.
//
//   auto net = rpc::MemoryNetwork::create();
//   NodeOptions node; node.listen = "node-a:0"; node.network = net->host("node-a");
//   Options origin; origin.network = net->host("origin");
//   net->stall("origin", "node-a");   // frames between them wait until resume()
//
// A link is the pair of hosts a stream joins, either way round. Faults act on whole frames
// (the wire format of rpc/frame.hpp) and never reorder or drop within a stream, as TCP never
// does: a stream is only ever broken as a whole, as a reset would break a TCP connection.
//   - stall / resume: frames both ways are held, then delivered in order;
//   - break_after_frames: the link's streams break after that many more frames;
//   - cut / heal: a partition: open streams break, new connections are refused until healed;
//   - a frame hook sees every frame's header before it is delivered, and may break the stream
//     before the frame (the frame is lost with it) or after it (only what follows is lost).
//
// Thread safety: every member may be called from any thread, the hook included (it runs on
// the writing thread, with no lock of the network held, so it may call the network).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "rpc/frame.hpp"
#include "rpc/stream.hpp"

namespace hatch::rpc {

class MemoryNetwork : public std::enable_shared_from_this<MemoryNetwork> {
 public:
  enum class Verdict { pass, break_before, break_after };
  using FrameHook = std::function<Verdict(const std::string& from, const std::string& to,
                                          const FrameHeader& header)>;

  static std::shared_ptr<MemoryNetwork> create();

  // The network as host `name` sees it: what it dials from and listens on.
  std::shared_ptr<Network> host(std::string name);

  void stall(const std::string& a, const std::string& b);
  void resume(const std::string& a, const std::string& b);
  void break_after_frames(const std::string& a, const std::string& b, std::size_t frames);
  void cut(const std::string& a, const std::string& b);
  void heal(const std::string& a, const std::string& b);
  // Replaces the frame hook; an empty one removes it.
  void set_frame_hook(FrameHook hook);

  struct Pipe;
  struct Listener;

 private:
  MemoryNetwork() = default;
  friend class MemoryHostNetwork;
  friend class MemoryStream;
  friend class MemoryAcceptor;
  using Link = std::pair<std::string, std::string>;  // sorted
  static Link link(const std::string& a, const std::string& b);

  std::unique_ptr<Stream> connect(const std::string& from, asio::io_context& io,
                                  const std::string& address);
  std::unique_ptr<Acceptor> listen(const std::string& host, asio::io_context& io,
                                   const std::string& address);
  // Carries the frames a writer completed from `from` to `to` over `pipe`.
  bool carry(const std::string& from, const std::string& to, const std::shared_ptr<Pipe>& pipe,
             std::vector<std::string> frames);
  void unlisten(const std::string& address);
  void break_link(const Link& link);
  // The streams of `link` still open, forgetting those that closed. Requires mu_ held.
  std::vector<std::shared_ptr<Pipe>> open_pipes(const Link& link);

  std::mutex mu_;
  std::map<std::string, std::weak_ptr<Listener>> listeners_;  // by address; guarded by mu_
  std::map<std::string, std::uint16_t> next_port_;            // per host; guarded by mu_
  std::set<Link> cut_;                                        // guarded by mu_
  std::set<Link> stalled_;                                    // guarded by mu_
  std::map<Link, std::size_t> break_after_;                   // guarded by mu_
  std::multimap<Link, std::weak_ptr<Pipe>> pipes_;            // guarded by mu_
  FrameHook hook_;                                            // guarded by mu_
};

}  // namespace hatch::rpc

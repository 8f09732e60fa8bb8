// The raw TCP peers Hatch's calls are held to, served by LoopbackPeer processes: echo servers
// that poll for the next request as a node's I/O leader does, or block at once; a chain that
// forwards each request to backups in parallel and answers once each has echoed it, as a
// primary replica does; and the client's round trip.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace hatch::bench {

// Serve `fd`: echo whatever arrives. The polling one polls for the next bytes, yielding its
// core, for as long as a Hatch node's I/O leader would (rpc::PollWindow with the pool's limits)
// before it blocks in recv, so that both sides of a comparison keep their vCPUs awake alike;
// the other blocks at once.
void serve_echo_polling(int fd);
void serve_echo(int fd);

// Serves `fd` as a primary replica whose backups are the echo servers on loopback `backups`:
// sends whatever arrives to each backup, waits until each has echoed it, then echoes it to
// `fd`. It polls as serve_echo_polling does, also for the backups' answers, as a primary's I/O
// leader polls once the request it served has been forwarded.
void serve_chain_primary(int fd, const std::vector<std::uint16_t>& backups);

// One round trip of `out.size()` bytes on `fd`. The reply is polled without blocking for up to
// `spin`, yielding the core between polls, as Hatch's caller polls for its response
// (rpc::ConnectionOptions::spin), then read blocking. Throws std::runtime_error when the peer
// hung up. A poll that does not yield starves the servers that share its cores: on two vCPUs a
// chain of a client and three servers then took 120 us in most rounds instead of 16 us.
void raw_round_trip(int fd, const std::vector<char>& out, std::vector<char>& in,
                    std::chrono::microseconds spin);

}  // namespace hatch::bench

// The TCP pieces that the TCP network (tcp_network.cpp) and the TLS network over it
// (tls_network.cpp) share: dialing an address before a deadline, listening, and the socket
// options every Hatch connection has.
//
// Each takes the executor its socket's operations run on: the I/O pool's for plain TCP, a strand
// of it for TLS, whose streams must run every operation of one connection in order.
#pragma once

#include <chrono>
#include <string>

#include "rpc/asio.hpp"

namespace hatch::rpc {

// "host:port", with an IPv6 host in brackets.
std::string format_endpoint(const tcp::endpoint& endpoint);

// The peer's "host:port" of a connected socket, or "an unknown peer".
std::string peer_of(const tcp::socket& socket);

// Marks `fd` close-on-exec, so that a program that starts others (a test its nodes, a server
// its helpers) does not hand them its listening ports and connections: a child holding a
// listener would keep its port taken after this process closed it.
void close_on_exec(int fd);

// Close-on-exec, no delay, and keepalive: a peer that vanished without a word (a host that died, a
// cable pulled) is found after about a minute of silence plus five unanswered probes ten seconds
// apart.
void tune_socket(tcp::socket& socket);

// A socket connected to `address` ("host:port"), whose operations run on `executor`; resolving
// and connecting run on `io`. Blocks until connected or `deadline`. Throws ConnectFailure with
// code unavailable.
tcp::socket dial(asio::io_context& io, const asio::any_io_executor& executor,
                 const std::string& address, std::chrono::steady_clock::time_point deadline);

// An acceptor listening at `address` ("host:port"; port 0 picks a free port). Throws
// UsageError naming the address when it cannot.
tcp::acceptor open_acceptor(asio::io_context& io, const std::string& address);

}  // namespace hatch::rpc

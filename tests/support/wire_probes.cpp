// Probes that talk to a node below the level of refs: raw requests and raw bytes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "hatch/internal/codec.hpp"
#include "node_process.hpp"
#include "rpc/endpoint.hpp"
#include "rpc/io_pool.hpp"
#include "rpc/tls_network.hpp"
#include "runtime/remote_component.hpp"

namespace hatch::test {

void probe_call(const std::string& secret, const std::string& address, std::uint32_t component,
                std::uint32_t method, std::string args, const TlsFiles& tls) {
  rpc::IoPool io(2);
  const rpc::ClusterSecret cluster = rpc::ClusterSecret::from_bytes(secret);
  rpc::Peer peer(rpc::host_network(tls), io.context(), address, cluster,
                 rpc::PeerIdentity{"node", "probe"}, rpc::ConnectionOptions{}, [](auto&&...) {});
  try {
    // A guard that fails a node that never answers, not a bound on how fast it answers: a node
    // under AddressSanitizer, on a loaded machine, took over 30 s to measure and refuse three
    // 64 MiB argument lists of nils at once.
    runtime::call_remote(peer, component, method, std::move(args), std::chrono::minutes(3),
                         "probe");
  } catch (const internal::Moved& moved) {
    throw RemoteError(StatusCode::moved, "probe", address, moved.location);
  }
}

void probe_call(const std::string& secret, const std::string& address, std::uint32_t component,
                std::uint32_t method, const TlsFiles& tls) {
  internal::WireBuffer none;
  internal::pack_args(none);
  probe_call(secret, address, component, method, std::move(none.bytes()), tls);
}

int connect_raw(const std::string& address) {
  auto [host, port] = split_address(address);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &sa.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot connect to " + address);
  }
  return fd;
}

void send_garbage(const std::string& address) {
  const int fd = connect_raw(address);
  // A length prefix of 4 GiB - 1, then junk: over every limit.
  const char junk[] = "\xff\xff\xff\xffthis is not a hatch frame";
  [[maybe_unused]] auto n = ::write(fd, junk, sizeof junk - 1);
  char c;
  [[maybe_unused]] auto r = ::read(fd, &c, 1);  // returns once the node hangs up
  ::close(fd);
}

}  // namespace hatch::test

// Mutual TLS over TCP: the Network of real hosts when TLS is on (Options::tls).
//
// Without TLS, frames cross the network in clear once the cluster secret is proved, and anyone
// on the path can read them or inject frames of their own. With it, every byte is encrypted and
// authenticated, and the secret's handshake (handshake.hpp) still runs inside TLS: the secret
// names the cluster, the certificate the member.
//
//   auto network = rpc::tls_network({"certs/node-1.crt", "certs/node-1.key", "certs/ca.crt"});
//
// Both sides present a certificate and verify the other's against the CA, and a side that
// presents none is refused (verify_peer | verify_fail_if_no_peer_cert). A client also checks
// that the node's certificate names the host it dialled, as a DNS name or an IP address. TLS 1.2
// at least, 1.3 when both sides have it; no session resumption.
//
// connect() only dials TCP. The TLS handshake is the stream's async_handshake(), which the
// secret's handshake begins with: on the client inside the connection's deadline, on the server
// inside the listener's handshake timeout and under its caps (listener.hpp), so a peer that
// stalls the TLS handshake costs a connection, never a thread.
//
// Thread safety: as Stream and Network (stream.hpp). Inside, a stream runs its TLS work on a
// strand of its own, since a TLS engine takes one operation at a time, and posts completions to
// the I/O pool, off the strand: a handler may block (a served call that calls out), and a
// blocked handler must not hold up its own connection's TLS work.
#pragma once

#include <memory>

#include "hatch/options.hpp"
#include "rpc/stream.hpp"

namespace hatch::rpc {

// The TLS network configured by `files`. Reads and checks them now, as check_tls_files() does.
std::shared_ptr<Network> tls_network(const TlsFiles& files);

// Throws UsageError naming the file and what is wrong with it: missing or unreadable, not PEM,
// a key that its group or others may read, a key that is not the certificate's, a certificate
// that the CA did not sign or that expired; or naming the files a partial set lacks.
void check_tls_files(const TlsFiles& files);

// TCP, or TLS over it when `files` names a file (then as tls_network()).
std::shared_ptr<Network> host_network(const TlsFiles& files);

// Whether `ec` is TLS refusing a peer or being refused by one: a certificate that did not
// verify, an alert from the peer, bytes that are not TLS. Such a failure is one of
// authentication, which retrying does not mend.
bool is_tls_error(const boost::system::error_code& ec);

}  // namespace hatch::rpc

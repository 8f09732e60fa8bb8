// How Hatch reads a host's address, HOST:PORT, and the one spelling it keeps of each.
//
// A node is known by its address everywhere: in placements, the member list, the directory and
// the metrics. Two spellings of one address would count as two hosts (a placement on
// "localhost:7001" beside a member "127.0.0.1:7001"), so an address is brought to one spelling
// where it enters: when a placement is made, a node source is read, or a node names itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace hatch {

// Splits "host:port" or "[v6]:port" into the host (without brackets) and the port. Throws
// UsageError naming `address` when it is malformed.
std::pair<std::string, std::uint16_t> split_address(std::string_view address);

// The one spelling of `address`, which must be HOST:PORT (else UsageError, as split_address):
//   - "localhost" is 127.0.0.1, the address a node told to listen on localhost binds;
//   - an IP address is in its standard text form: IPv6 compressed, in lower case and in
//     brackets ("[0:0::1]" is "[::1]");
//   - a DNS name is in lower case, as DNS compares names;
//   - the port is decimal without leading zeros.
// 127.0.0.1 and [::1] stay two addresses: a socket bound to one is not reached at the other.
std::string canonical_address(std::string_view address);

}  // namespace hatch

// How a ref reaches its component now, in words that can be logged and compared.
#pragma once

#include <string>
#include <vector>

namespace hatch {

struct Binding {
  enum class Kind { local, remote, replicated, sharded };

  Kind kind = Kind::local;
  std::vector<std::string> hosts;  // empty for local; one host for remote

  static Binding local() { return {}; }
  static Binding remote(std::string host) { return {Kind::remote, {std::move(host)}}; }

  // "local", "remote(127.0.0.1:7001)", "replicated(a,b)", "sharded(a,b,c)".
  std::string to_string() const;
  friend bool operator==(const Binding&, const Binding&) = default;
};

}  // namespace hatch

#include "hatch/binding.hpp"

namespace hatch {

std::string Binding::to_string() const {
  const char* name = "local";
  switch (kind) {
    case Kind::local:
      return "local";
    case Kind::remote:
      name = "remote";
      break;
    case Kind::replicated:
      name = "replicated";
      break;
    case Kind::sharded:
      name = "sharded";
      break;
  }
  std::string out = std::string(name) + "(";
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    if (i > 0) out += ",";
    out += hosts[i];
  }
  return out + ")";
}

}  // namespace hatch

// How the showcase names hosts and designs in what it prints: the origin is "origin", the nodes
// are A, B, C, ... in the order they were given.
//
//   HostLabels label(nodes);
//   short_form(design, label);  // "cache=sharded{origin,A,B} content_store=on(C)"
//   in_words(design, label);    // "cache sharded over origin, A, B; content_store on node C; ..."
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hatch/placement.hpp"

namespace hatch::web {

class HostLabels {
 public:
  explicit HostLabels(const std::vector<std::string>& nodes);
  std::string operator()(const std::string& host) const;
  // The labels of `hosts`, joined by `separator`.
  std::string list(const std::vector<std::string>& hosts, const char* separator) const;

 private:
  std::map<std::string, std::string> labels_;
};

// "cache=sharded{origin,A,B} content_store=on(C)": only the components not on the origin;
// "all local" when none.
std::string short_form(const Design& design, const HostLabels& label);

// The design in words: "cache sharded over origin, A, B; content_store on node C; the rest on
// the origin".
std::string in_words(const Design& design, const HostLabels& label);

}  // namespace hatch::web

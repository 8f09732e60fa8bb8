#include "hatch/placement.hpp"

#include <algorithm>

#include "core/host_address.hpp"
#include "hatch/error.hpp"

namespace hatch {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string host_name(std::string_view text, std::string_view whole) {
  std::string_view host = trim(text);
  if (host.empty()) {
    throw UsageError("placement '" + std::string(whole) + "' has an empty host");
  }
  return std::string(host);
}

// The origin is "local"; an address (HOST:PORT) takes its one spelling; a bare name (the
// simulator's hosts) stays as it is.
std::string spelling(std::string host) {
  if (host == "origin" || host == "local") return "local";
  if (host.find(':') == std::string::npos) return host;
  return canonical_address(host);
}

std::vector<std::string> host_set(std::string_view list, std::string_view whole) {
  std::vector<std::string> hosts;
  while (true) {
    std::size_t comma = list.find(',');
    hosts.push_back(host_name(list.substr(0, comma), whole));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return hosts;
}

void check_set(const std::vector<std::string>& hosts, std::string_view what) {
  if (hosts.size() < 2) {
    throw UsageError(std::string(what) + " needs at least two hosts, got " +
                     std::to_string(hosts.size()));
  }
  std::vector<std::string> sorted = hosts;
  std::sort(sorted.begin(), sorted.end());
  auto repeated = std::adjacent_find(sorted.begin(), sorted.end());
  if (repeated != sorted.end()) {
    throw UsageError(std::string(what) + " names host '" + *repeated + "' twice");
  }
}

}  // namespace

Placement Placement::on(std::string host) {
  host = spelling(std::move(host));
  if (host == "local") return local();
  return {Kind::on, {std::move(host)}};
}

Placement Placement::replicated(std::vector<std::string> hosts) {
  for (std::string& host : hosts) host = spelling(std::move(host));
  check_set(hosts, "replicated");
  return {Kind::replicated, std::move(hosts)};
}

Placement Placement::sharded(std::vector<std::string> hosts) {
  for (std::string& host : hosts) host = spelling(std::move(host));
  check_set(hosts, "sharded");
  return {Kind::sharded, std::move(hosts)};
}

Placement Placement::parse(std::string_view text) {
  std::string_view s = trim(text);
  if (s == "local" || s == "origin") return local();
  auto inside = [&](std::string_view prefix, char open, char close) -> std::string_view {
    if (s.size() < prefix.size() + 2 || s.substr(0, prefix.size()) != prefix ||
        s[prefix.size()] != open || s.back() != close) {
      return {};
    }
    return s.substr(prefix.size() + 1, s.size() - prefix.size() - 2);
  };
  if (s.starts_with("on")) {
    std::string_view host = inside("on", '(', ')');
    if (host.data() != nullptr) return on(host_name(host, text));
  }
  if (s.starts_with("replicated")) {
    std::string_view list = inside("replicated", '{', '}');
    if (list.data() != nullptr) return replicated(host_set(list, text));
  }
  if (s.starts_with("sharded")) {
    std::string_view list = inside("sharded", '{', '}');
    if (list.data() != nullptr) return sharded(host_set(list, text));
  }
  if (!s.empty() && s.find_first_of("(){},") == std::string_view::npos &&
      s.find(':') != std::string_view::npos) {
    return on(std::string(s));
  }
  throw UsageError("cannot read placement '" + std::string(text) +
                   "': expected local, on(host:port), replicated{h1,h2,...} or "
                   "sharded{h1,h2,...}");
}

std::string Placement::to_string() const {
  switch (kind) {
    case Kind::local:
      return "local";
    case Kind::on:
      return "on(" + hosts.at(0) + ")";
    case Kind::replicated:
    case Kind::sharded: {
      std::string out = kind == Kind::replicated ? "replicated{" : "sharded{";
      for (std::size_t i = 0; i < hosts.size(); ++i) {
        if (i > 0) out += ",";
        out += hosts[i];
      }
      return out + "}";
    }
  }
  return "local";
}

std::vector<std::string> split_placements(std::string_view list) {
  std::vector<std::string> items;
  int depth = 0;
  std::size_t start = 0;
  const auto take = [&](std::size_t end) {
    std::string_view item = trim(list.substr(start, end - start));
    if (item.empty()) {
      throw UsageError("the list of placements '" + std::string(list) + "' has an empty item");
    }
    items.emplace_back(item);
    start = end + 1;
  };
  for (std::size_t i = 0; i < list.size(); ++i) {
    const char c = list[i];
    if (c == '{' || c == '(') ++depth;
    if ((c == '}' || c == ')') && --depth < 0) break;
    if (c == ',' && depth == 0) take(i);
  }
  if (depth != 0) {
    throw UsageError("the list of placements '" + std::string(list) +
                     "' has a bracket that is not closed or not opened");
  }
  take(list.size());
  return items;
}

}  // namespace hatch

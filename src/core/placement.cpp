#include "hatch/placement.hpp"

#include <algorithm>

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
  if (host == "origin") return "local";
  return std::string(host);
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
  if (host == "local" || host == "origin") return local();
  return {Kind::on, {std::move(host)}};
}

Placement Placement::replicated(std::vector<std::string> hosts) {
  check_set(hosts, "replicated");
  return {Kind::replicated, std::move(hosts)};
}

Placement Placement::sharded(std::vector<std::string> hosts) {
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

}  // namespace hatch

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

std::string join(const std::vector<std::string>& hosts) {
  std::string out;
  for (const std::string& host : hosts) out += (out.empty() ? "" : ",") + host;
  return out;
}

// The shards of "sharded{...}" written with replica sets: each item a host or replicated{...}.
std::vector<std::vector<std::string>> shard_sets(std::string_view list, std::string_view whole) {
  std::vector<std::vector<std::string>> shards;
  for (const std::string& item : split_placements(list)) {
    if (item.find_first_of("(){}") == std::string::npos) {
      shards.push_back({host_name(item, whole)});
      continue;
    }
    const Placement shard = Placement::parse(item);
    if (shard.kind != Placement::Kind::replicated) {
      throw UsageError("placement '" + std::string(whole) + "' has shard '" + item +
                       "': a shard is a host or replicated{h1,h2,...}");
    }
    shards.push_back(shard.hosts);
  }
  return shards;
}

}  // namespace

Placement Placement::on(std::string host) {
  host = spelling(std::move(host));
  if (host == "local") return local();
  Placement p;
  p.kind = Kind::on;
  p.hosts = {std::move(host)};
  return p;
}

Placement Placement::replicated(std::vector<std::string> hosts) {
  for (std::string& host : hosts) host = spelling(std::move(host));
  check_set(hosts, "replicated");
  Placement p;
  p.kind = Kind::replicated;
  p.hosts = std::move(hosts);
  return p;
}

Placement Placement::sharded(std::vector<std::string> hosts) {
  for (std::string& host : hosts) host = spelling(std::move(host));
  check_set(hosts, "sharded");
  Placement p;
  p.kind = Kind::sharded;
  p.hosts = std::move(hosts);
  return p;
}

Placement Placement::replicated_shards(std::vector<std::vector<std::string>> shards) {
  if (shards.size() < 2) {
    throw UsageError("replicated shards need at least two shards, got " +
                     std::to_string(shards.size()));
  }
  Placement p;
  p.kind = Kind::sharded;
  bool replicas = false;
  for (std::vector<std::string>& shard : shards) {
    if (shard.empty())
      throw UsageError("replicated shards: shard " + std::to_string(p.shard_replicas.size()) +
                       " has no host");
    for (std::string& host : shard) p.hosts.push_back(spelling(std::move(host)));
    p.shard_replicas.push_back(static_cast<std::uint32_t>(shard.size()));
    replicas = replicas || shard.size() > 1;
  }
  check_set(p.hosts, "sharded");
  if (!replicas) p.shard_replicas.clear();
  return p;
}

std::vector<std::vector<std::string>> Placement::shards() const {
  if (kind != Kind::sharded) return {hosts};
  std::vector<std::vector<std::string>> out;
  if (shard_replicas.empty()) {
    for (const std::string& host : hosts) out.push_back({host});
    return out;
  }
  auto next = hosts.begin();
  for (std::uint32_t size : shard_replicas) {
    out.emplace_back(next, next + size);
    next += size;
  }
  return out;
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
    if (list.data() != nullptr && list.find('{') != std::string_view::npos) {
      return replicated_shards(shard_sets(list, text));
    }
    if (list.data() != nullptr) return sharded(host_set(list, text));
  }
  if (!s.empty() && s.find_first_of("(){},") == std::string_view::npos &&
      s.find(':') != std::string_view::npos) {
    return on(std::string(s));
  }
  throw UsageError("cannot read placement '" + std::string(text) +
                   "': expected local, on(host:port), replicated{h1,h2,...}, "
                   "sharded{h1,h2,...} or sharded{replicated{h1,h2},...}");
}

std::string Placement::to_string() const {
  switch (kind) {
    case Kind::local:
      return "local";
    case Kind::on:
      return "on(" + hosts.at(0) + ")";
    case Kind::sharded:
      if (has_replicated_shards()) {
        std::string out = "sharded{";
        for (const std::vector<std::string>& shard : shards()) {
          if (out.size() > 8) out += ",";
          out += shard.size() == 1 ? shard.front() : "replicated{" + join(shard) + "}";
        }
        return out + "}";
      }
      [[fallthrough]];
    case Kind::replicated:
      return (kind == Kind::replicated ? "replicated{" : "sharded{") + join(hosts) + "}";
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

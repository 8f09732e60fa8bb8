#include "design_labels.hpp"

namespace hatch::web {

HostLabels::HostLabels(const std::vector<std::string>& nodes) {
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    labels_[nodes[i]] = i < 26 ? std::string(1, static_cast<char>('A' + i)) : nodes[i];
  }
}

std::string HostLabels::operator()(const std::string& host) const {
  if (host == "local" || host == "origin") return "origin";
  auto it = labels_.find(host);
  return it == labels_.end() ? host : it->second;
}

std::string HostLabels::list(const std::vector<std::string>& hosts, const char* separator) const {
  std::string out;
  for (const std::string& h : hosts) out += (out.empty() ? "" : separator) + (*this)(h);
  return out;
}

namespace {

// The labels of a set placement's hosts, each replicated shard as replicated{...}.
std::string set_of(const Placement& p, const HostLabels& label, const char* separator) {
  if (!p.has_replicated_shards()) return label.list(p.hosts, separator);
  std::string out;
  for (const std::vector<std::string>& shard : p.shards()) {
    out +=
        (out.empty() ? "" : separator) +
        (shard.size() == 1 ? label(shard.front()) : "replicated{" + label.list(shard, ",") + "}");
  }
  return out;
}

}  // namespace

std::string short_form(const Design& design, const HostLabels& label) {
  std::string out;
  for (const auto& [name, p] : design) {
    if (p.kind == Placement::Kind::local) continue;
    std::string where;
    switch (p.kind) {
      case Placement::Kind::on:
        where = "on(" + label(p.hosts.front()) + ")";
        break;
      case Placement::Kind::replicated:
        where = "replicated{" + label.list(p.hosts, ",") + "}";
        break;
      default:
        where = "sharded{" + set_of(p, label, ",") + "}";
    }
    out += (out.empty() ? "" : " ") + name + "=" + where;
  }
  return out.empty() ? "all local" : out;
}

std::string in_words(const Design& design, const HostLabels& label) {
  std::vector<std::string> parts, local;
  for (const auto& [name, p] : design) {
    switch (p.kind) {
      case Placement::Kind::local:
        local.push_back(name);
        break;
      case Placement::Kind::on:
        parts.push_back(name + " on node " + label(p.hosts.front()));
        break;
      case Placement::Kind::replicated:
        parts.push_back(name + " replicated on " + label.list(p.hosts, ", "));
        break;
      case Placement::Kind::sharded:
        parts.push_back(name + " sharded over " + set_of(p, label, ", "));
        break;
    }
  }
  if (parts.empty()) return "everything on the origin";
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : "; ") + part;
  if (!local.empty()) {
    std::string names;
    for (const std::string& n : local) names += (names.empty() ? "" : ", ") + n;
    out += "; " + names + " on the origin";
  }
  return out;
}

}  // namespace hatch::web

#include "sim/scenario_toml.hpp"

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <sstream>

#include <toml++/toml.h>

#include "hatch/error.hpp"

namespace hatch::sim {
namespace {

// Reads typed, bounded fields and reports problems as "FILE:LINE: FIELD: what".
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const toml::node& at, const std::string& field,
                         const std::string& what) const {
    throw UsageError(source_ + ":" + std::to_string(at.source().begin.line) + ": " + field + ": " +
                     what);
  }

  void only_keys(const toml::table& table, const std::string& field,
                 std::initializer_list<std::string_view> known) const {
    for (const auto& [key, value] : table) {
      bool found = false;
      for (std::string_view k : known) found = found || key.str() == k;
      if (found) continue;
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      fail(value, join(field, key.str()), "unknown key (known: " + list + ")");
    }
  }

  double number(const toml::table& table, const std::string& field, std::string_view key, double lo,
                double hi, std::optional<double> fallback = std::nullopt) const {
    const toml::node* node = table.get(key);
    const std::string name = join(field, key);
    if (node == nullptr) {
      if (fallback) return *fallback;
      fail(table, name, "missing (a number between " + show(lo) + " and " + show(hi) + ")");
    }
    const std::optional<double> value = node->value<double>();
    if (!value || !node->is_number()) fail(*node, name, "must be a number");
    if (!(*value >= lo && *value <= hi)) {
      fail(*node, name,
           "must be between " + show(lo) + " and " + show(hi) + ", got " + show(*value));
    }
    return *value;
  }

  std::string text(const toml::table& table, const std::string& field, std::string_view key,
                   std::optional<std::string> fallback = std::nullopt) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      if (fallback) return *fallback;
      fail(table, join(field, key), "missing (a string)");
    }
    const std::optional<std::string> value = node->value_exact<std::string>();
    if (!value || value->empty()) fail(*node, join(field, key), "must be a non-empty string");
    return *value;
  }

  bool boolean(const toml::table& table, const std::string& field, std::string_view key,
               bool fallback) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return fallback;
    const std::optional<bool> value = node->value_exact<bool>();
    if (!value) fail(*node, join(field, key), "must be true or false");
    return *value;
  }

  const toml::table* table(const toml::table& parent, const std::string& field,
                           std::string_view key, bool required) const {
    const toml::node* node = parent.get(key);
    if (node == nullptr) {
      if (required) fail(parent, join(field, key), "missing (a table)");
      return nullptr;
    }
    if (!node->is_table()) fail(*node, join(field, key), "must be a table");
    return node->as_table();
  }

  // An array of at most `limit` tables ([[key]]); empty when absent.
  std::vector<const toml::table*> tables(const toml::table& parent, std::string_view key,
                                         std::size_t limit) const {
    std::vector<const toml::table*> out;
    const toml::node* node = parent.get(key);
    if (node == nullptr) return out;
    const toml::array* array = node->as_array();
    if (array == nullptr)
      fail(*node, std::string(key), "must be an array of tables ([[" + std::string(key) + "]])");
    if (array->size() > limit) {
      fail(*node, std::string(key), "at most " + std::to_string(limit) + " entries");
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::table* t = (*array)[i].as_table();
      if (t == nullptr) fail((*array)[i], indexed(key, i), "must be a table");
      out.push_back(t);
    }
    return out;
  }

  static std::string join(const std::string& field, std::string_view key) {
    return field.empty() ? std::string(key) : field + "." + std::string(key);
  }
  static std::string indexed(std::string_view key, std::size_t i) {
    return std::string(key) + "[" + std::to_string(i) + "]";
  }

 private:
  static std::string show(double v) {
    std::ostringstream out;
    out << v;
    return out.str();
  }

  std::string source_;
};

struct Parser {
  const Reader& r;
  Scenario s;
  std::map<std::string, std::size_t> host_index;
  std::map<std::string, std::size_t> component_index;

  std::size_t host_named(const toml::node& at, const std::string& field, const std::string& name) {
    auto it = host_index.find(name == "origin" ? "local" : name);
    if (it == host_index.end()) r.fail(at, field, "no host named '" + name + "'");
    return it->second;
  }

  std::size_t component_named(const toml::node& at, const std::string& field,
                              const std::string& name) {
    auto it = component_index.find(name);
    if (it == component_index.end()) r.fail(at, field, "no component named '" + name + "'");
    return it->second;
  }

  void set_link(std::size_t a, std::size_t b, double rtt, double bandwidth) {
    const std::size_t n = s.hosts.size();
    s.rtt_ms[a * n + b] = s.rtt_ms[b * n + a] = rtt;
    s.bandwidth_mb_per_s[a * n + b] = s.bandwidth_mb_per_s[b * n + a] = bandwidth;
  }

  void hosts(const toml::table& root) {
    const toml::table* origin = r.table(root, "", "origin", true);
    r.only_keys(*origin, "origin", {"cores", "memory_mb"});
    s.hosts.push_back({"local", r.number(*origin, "origin", "cores", 0.1, 1024),
                       r.number(*origin, "origin", "memory_mb", 0, 1e7)});
    host_index["local"] = 0;
    std::vector<std::pair<double, double>> to_origin;
    const auto nodes = r.tables(root, "nodes", kMaxSimNodes);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const toml::table& t = *nodes[i];
      const std::string field = Reader::indexed("nodes", i);
      r.only_keys(t, field, {"name", "cores", "memory_mb", "rtt_ms", "bandwidth_mb_per_s"});
      HostSpec host{r.text(t, field, "name"), r.number(t, field, "cores", 0.1, 1024),
                    r.number(t, field, "memory_mb", 0, 1e7)};
      if (host.name == "local" || host.name == "origin" || host_index.count(host.name) > 0) {
        r.fail(t, field + ".name", "'" + host.name + "' is the origin's name or is used twice");
      }
      host_index[host.name] = s.hosts.size();
      s.hosts.push_back(host);
      to_origin.emplace_back(r.number(t, field, "rtt_ms", 0, 1e4, 0.2),
                             r.number(t, field, "bandwidth_mb_per_s", 1e-3, 1e6, 1000));
    }
    const toml::table empty;
    const toml::table* network = r.table(root, "", "network", false);
    const toml::table& net = network != nullptr ? *network : empty;
    r.only_keys(
        net, "network",
        {"rpc_overhead_ms", "serialize_mb_per_s", "node_rtt_ms", "node_bandwidth_mb_per_s"});
    s.network.rpc_overhead_ms = r.number(net, "network", "rpc_overhead_ms", 0, 1e3, 0.02);
    s.network.serialize_mb_per_s = r.number(net, "network", "serialize_mb_per_s", 1e-3, 1e6, 1000);
    const double node_rtt = r.number(net, "network", "node_rtt_ms", 0, 1e4, 0.2);
    const double node_bandwidth =
        r.number(net, "network", "node_bandwidth_mb_per_s", 1e-3, 1e6, 1000);
    const std::size_t n = s.hosts.size();
    s.rtt_ms.assign(n * n, 0);
    s.bandwidth_mb_per_s.assign(n * n, 1e6);
    for (std::size_t a = 1; a < n; ++a) {
      set_link(0, a, to_origin[a - 1].first, to_origin[a - 1].second);
      for (std::size_t b = a + 1; b < n; ++b) set_link(a, b, node_rtt, node_bandwidth);
    }
    const auto links = r.tables(root, "links", kMaxSimNodes * (kMaxSimNodes + 1) / 2);
    for (std::size_t i = 0; i < links.size(); ++i) {
      const toml::table& t = *links[i];
      const std::string field = Reader::indexed("links", i);
      r.only_keys(t, field, {"between", "rtt_ms", "bandwidth_mb_per_s"});
      const toml::array* between = t.get_as<toml::array>("between");
      if (between == nullptr || between->size() != 2 || !(*between)[0].is_string() ||
          !(*between)[1].is_string()) {
        r.fail(t, field + ".between", "must be two host names, e.g. [\"local\", \"a\"]");
      }
      const std::size_t a = host_named(t, field + ".between", *(*between)[0].value<std::string>());
      const std::size_t b = host_named(t, field + ".between", *(*between)[1].value<std::string>());
      if (a == b) r.fail(t, field + ".between", "a link joins two different hosts");
      set_link(a, b, r.number(t, field, "rtt_ms", 0, 1e4, s.rtt(a, b)),
               r.number(t, field, "bandwidth_mb_per_s", 1e-3, 1e6, s.bandwidth(a, b)));
    }
  }

  void components(const toml::table& root) {
    const auto list = r.tables(root, "components", kMaxSimComponents);
    if (list.empty()) r.fail(root, "components", "missing: at least one [[components]] table");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const toml::table& t = *list[i];
      const std::string field = Reader::indexed("components", i);
      r.only_keys(t, field,
                  {"name", "kind", "pinned", "read_ms", "write_ms", "memory_mb", "cache"});
      ComponentModel c;
      c.name = r.text(t, field, "name");
      if (component_index.count(c.name) > 0)
        r.fail(t, field + ".name", "'" + c.name + "' is used twice");
      const std::string kind = r.text(t, field, "kind");
      if (kind == "stateless") {
        c.kind = StateKind::stateless;
      } else if (kind == "stateful") {
        c.kind = StateKind::stateful;
      } else if (kind == "keyed") {
        c.kind = StateKind::keyed;
      } else {
        r.fail(*t.get("kind"), field + ".kind",
               "must be stateless, stateful or keyed, got '" + kind + "'");
      }
      c.pinned = r.boolean(t, field, "pinned", false);
      c.read_ms = r.number(t, field, "read_ms", 0, 1e4);
      c.write_ms = r.number(t, field, "write_ms", 0, 1e4, c.read_ms);
      c.memory_mb = r.number(t, field, "memory_mb", 0, 1e7, 0);
      if (const toml::table* cache = r.table(t, field, "cache", false)) {
        const std::string cf = field + ".cache";
        if (c.kind != StateKind::keyed) r.fail(*cache, cf, "only a keyed component can be a cache");
        r.only_keys(*cache, cf, {"working_set_mb", "max_hit", "skew"});
        c.cache = CacheSpec{r.number(*cache, cf, "working_set_mb", 1e-3, 1e9),
                            r.number(*cache, cf, "max_hit", 0, 1, 0.9),
                            r.number(*cache, cf, "skew", 0.01, 4, 0.5)};
      }
      component_index[c.name] = s.components.size();
      s.components.push_back(std::move(c));
    }
    const std::string entry = r.text(root, "", "entry", s.components[0].name);
    s.entry =
        component_named(root.get("entry") != nullptr ? *root.get("entry") : root, "entry", entry);
  }

  // A mix table: class -> weight, normalised. The workload's mix defines the classes; without
  // one there is a single class, "request".
  std::vector<double> mix(const toml::table& parent, const std::string& field) {
    const toml::table* t = r.table(parent, field, "mix", false);
    if (t == nullptr) {
      s.classes.assign(1, "request");
      return {1.0};
    }
    std::vector<double> out(s.classes.size(), 0);
    const std::string mf = Reader::join(field, "mix");
    if (s.classes.empty()) {
      for (const auto& [key, value] : *t) s.classes.emplace_back(key.str());
      if (s.classes.size() > kMaxSimClasses) {
        r.fail(*t, mf, "at most " + std::to_string(kMaxSimClasses) + " request classes");
      }
      out.assign(s.classes.size(), 0);
    }
    double sum = 0;
    for (const auto& [key, value] : *t) {
      const std::size_t k = class_named(value, mf, std::string(key.str()));
      out[k] = r.number(*t, mf, key.str(), 0, 1e9);
      sum += out[k];
    }
    if (!(sum > 0)) r.fail(*t, mf, "the weights must not all be 0");
    for (double& w : out) w /= sum;
    return out;
  }

  std::size_t class_named(const toml::node& at, const std::string& field, const std::string& name) {
    for (std::size_t k = 0; k < s.classes.size(); ++k) {
      if (s.classes[k] == name) return k;
    }
    std::string list;
    for (const std::string& c : s.classes) list += (list.empty() ? "" : ", ") + c;
    r.fail(at, field,
           "no request class named '" + name + "' (the workload's mix names: " + list + ")");
  }

  Workload workload(const toml::table& t, const std::string& field) {
    Workload w;
    w.rate = r.number(t, field, "rate", 1e-3, 1e8);
    w.mix = mix(t, field);
    return w;
  }

  void workloads(const toml::table& root) {
    const toml::table* w = r.table(root, "", "workload", true);
    r.only_keys(*w, "workload", {"rate", "mix"});
    s.workload = workload(*w, "workload");
    if (const toml::table* shift = r.table(root, "", "shift", false)) {
      r.only_keys(*shift, "shift", {"at_window", "rate", "mix"});
      Shift out;
      out.at_window = static_cast<std::size_t>(r.number(*shift, "shift", "at_window", 1, 1e6));
      out.workload.rate = r.number(*shift, "shift", "rate", 1e-3, 1e8, s.workload.rate);
      out.workload.mix = shift->get("mix") != nullptr ? mix(*shift, "shift") : s.workload.mix;
      s.shift = out;
    }
  }

  void edges(const toml::table& root) {
    const auto list = r.tables(root, "edges", kMaxSimEdges);
    for (std::size_t i = 0; i < list.size(); ++i) {
      const toml::table& t = *list[i];
      const std::string field = Reader::indexed("edges", i);
      r.only_keys(
          t, field,
          {"from", "to", "op", "keyed", "calls", "request_bytes", "response_bytes", "when"});
      EdgeModel e;
      const std::string from = r.text(t, field, "from");
      const std::string to = r.text(t, field, "to");
      e.caller = component_named(*t.get("from"), field + ".from", from);
      e.callee = component_named(*t.get("to"), field + ".to", to);
      const std::string op = r.text(t, field, "op", std::string("read"));
      if (op != "read" && op != "write")
        r.fail(*t.get("op"), field + ".op", "must be read or write");
      e.op = op == "read" ? CallOp::read : CallOp::write;
      e.keyed = r.boolean(t, field, "keyed", true);
      e.calls.assign(s.classes.size(), 0);
      const toml::node* calls = t.get("calls");
      if (calls == nullptr || calls->is_number()) {
        e.calls.assign(s.classes.size(), r.number(t, field, "calls", 0, 1e4, 1));
      } else if (const toml::table* per_class = calls->as_table()) {
        for (const auto& [key, value] : *per_class) {
          const std::size_t k = class_named(value, field + ".calls", std::string(key.str()));
          e.calls[k] = r.number(*per_class, field + ".calls", key.str(), 0, 1e4);
        }
      } else {
        r.fail(*calls, field + ".calls", "must be a number or a table of request class -> number");
      }
      e.request_bytes = r.number(t, field, "request_bytes", 0, 1e9, 100);
      e.response_bytes = r.number(t, field, "response_bytes", 0, 1e9, 100);
      const std::string when = r.text(t, field, "when", std::string("always"));
      if (when != "always") {
        const bool hit = when.starts_with("hit:");
        if (!hit && !when.starts_with("miss:")) {
          r.fail(*t.get("when"), field + ".when", "must be always, hit:CACHE or miss:CACHE");
        }
        e.when = hit ? CallWhen::on_hit : CallWhen::on_miss;
        e.cache = component_named(*t.get("when"), field + ".when", when.substr(hit ? 4 : 5));
        if (!s.components[e.cache].cache) {
          r.fail(*t.get("when"), field + ".when",
                 "'" + s.components[e.cache].name + "' has no [cache]");
        }
      }
      s.edges.push_back(std::move(e));
    }
  }

  void rest(const toml::table& root) {
    s.latency_cv = r.number(root, "", "latency_cv", 0, 10, 0.8);
    s.settle_seconds = r.number(root, "", "settle_seconds", 0, 3600, 1);
    if (const toml::table* reward = r.table(root, "", "reward", false)) {
      r.only_keys(*reward, "reward", {"cap_ms"});
      s.reward_cap_ms = r.number(*reward, "reward", "cap_ms", 1e-6, 1e9);
    }
  }
};

}  // namespace

Scenario parse_scenario(std::string_view text, const std::string& source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw UsageError(source + ":" + std::to_string(e.source().begin.line) + ": " +
                     std::string(e.description()));
  }
  Reader reader(source);
  reader.only_keys(root, "",
                   {"name", "entry", "latency_cv", "settle_seconds", "origin", "nodes", "network",
                    "links", "components", "edges", "workload", "shift", "reward"});
  Parser p{reader, {}, {}, {}};
  p.s.name = reader.text(root, "", "name", std::filesystem::path(source).stem().string());
  p.hosts(root);
  p.components(root);
  p.workloads(root);
  p.edges(root);
  p.rest(root);
  try {
    validate(p.s);
  } catch (const UsageError& e) {
    throw UsageError(source + ": " + e.what());
  }
  return std::move(p.s);
}

Scenario load_scenario(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot open scenario file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_scenario(text.str(), path);
}

}  // namespace hatch::sim

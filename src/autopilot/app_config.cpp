// hatch::App's configuration file (TOML, --hatch-config) and the cluster secret file it names:
// every key checked, each file it names taken from its folder. See hatch/app.hpp.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include <toml++/toml.h>

#include "autopilot/learn_config.hpp"
#include "hatch/app.hpp"
#include "rpc/cluster_secret.hpp"

namespace hatch {

std::string read_secret_file(const std::string& path) {
  return rpc::ClusterSecret::from_file(path).bytes();
}

namespace {

// The string at `key` of `table`, if the file sets it; UsageError naming the file, the line and
// the key when it is of another type. `what` says what the string should be.
std::optional<std::string> string_setting(const toml::table& table, std::string_view key,
                                          const std::string& path, const std::string& name,
                                          const char* what) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::nullopt;
  const auto value = node->value_exact<std::string>();
  if (!value) {
    throw UsageError(path + ":" + std::to_string(node->source().begin.line) + ": " + name +
                     " must be a string, " + what);
  }
  return *value;
}

// A file a config file names: a relative name is taken from that file's folder.
std::optional<std::string> file_setting(const toml::table& table, std::string_view key,
                                        const std::string& path) {
  auto file = string_setting(table, key, path, std::string(key), "the name of a file");
  if (file && std::filesystem::path(*file).is_relative()) {
    file = (std::filesystem::path(path).parent_path() / *file).string();
  }
  return file;
}

ConfigValue to_config_value(const toml::node& node, const std::string& where) {
  if (auto v = node.value_exact<bool>()) return *v;
  if (auto v = node.value_exact<std::int64_t>()) return *v;
  if (auto v = node.value_exact<double>()) return *v;
  if (auto v = node.value_exact<std::string>()) return *v;
  throw UsageError(where + ": config values must be booleans, integers, floats or strings");
}
}  // namespace

void load_config_file(const std::string& path, Options& options, AutopilotOptions& learn) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw UsageError(
        "cannot read config file '" + path +
        "': " + (std::filesystem::exists(path, ec) ? "it is not a regular file" : "no such file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read config file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  if (const auto secret_file = load_config_text(text.str(), path, options, learn)) {
    options.secret = read_secret_file(*secret_file);
  }
}

std::optional<std::string> load_config_text(std::string_view text, const std::string& path,
                                            Options& options, AutopilotOptions& learn) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw UsageError("cannot read config file '" + path + "' (line " +
                     std::to_string(e.source().begin.line) + "): " + std::string(e.description()));
  }
  for (const auto& [key, value] : root) {
    const std::string_view k = key.str();
    if (k != "secret_file" && k != "tls_cert" && k != "tls_key" && k != "tls_ca" &&
        k != "call_timeout_ms" && k != "io_threads" && k != "components" && k != "nodes" &&
        k != "learn" && k != "http_listen" && k != "http_token_file" && k != "listen" &&
        k != "discovery_ms" && k != "heartbeat_ms" && k != "node_timeout_ms") {
      throw UsageError(path + ": unknown setting '" + std::string(k) +
                       "' (known: secret_file, tls_cert, tls_key, tls_ca, call_timeout_ms, "
                       "io_threads, http_listen, http_token_file, components, nodes, listen, "
                       "discovery_ms, heartbeat_ms, node_timeout_ms, learn)");
    }
  }
  if (const toml::node* nodes = root.get("nodes")) {
    const toml::array* list = nodes->as_array();
    if (list == nullptr || !list->is_homogeneous(toml::node_type::string)) {
      throw UsageError(path + ":" + std::to_string(nodes->source().begin.line) +
                       ": nodes must be an array of strings: \"host:port\", \"file:PATH\" or "
                       "\"dns:NAME:PORT\"");
    }
    options.nodes.clear();
    for (const toml::node& n : *list) options.nodes.push_back(*n.value<std::string>());
  }
  if (auto listen = string_setting(root, "listen", path, "listen", "\"host:port\"")) {
    options.listen = *listen;
  }
  for (auto [key, field, least] : {std::tuple{"discovery_ms", &options.discovery_interval, 1},
                                   std::tuple{"heartbeat_ms", &options.heartbeat_interval, 0},
                                   std::tuple{"node_timeout_ms", &options.node_timeout, 1}}) {
    if (!root.contains(key)) continue;
    const auto ms = root[key].value_exact<std::int64_t>();
    if (!ms || *ms < least || *ms > 3600000) {
      throw UsageError(path + ": " + key + " must be an integer number of milliseconds, " +
                       std::to_string(least) + " to 3600000");
    }
    *field = std::chrono::milliseconds(*ms);
  }
  for (auto [key, file] :
       {std::pair{"tls_cert", &options.tls.cert_file}, std::pair{"tls_key", &options.tls.key_file},
        std::pair{"tls_ca", &options.tls.ca_file},
        std::pair{"http_token_file", &options.http_token_file}}) {
    if (auto name = file_setting(root, key, path)) *file = *name;
  }
  if (auto listen = string_setting(root, "http_listen", path, "http_listen", "\"host:port\"")) {
    options.http_listen = *listen;
  }
  if (root.contains("call_timeout_ms") && !root["call_timeout_ms"].is_integer()) {
    throw UsageError(path + ": call_timeout_ms must be an integer number of milliseconds");
  }
  if (root.contains("io_threads") && !root["io_threads"].is_integer()) {
    throw UsageError(path + ": io_threads must be an integer");
  }
  if (auto ms = root["call_timeout_ms"].value<std::int64_t>()) {
    if (*ms <= 0) throw UsageError(path + ": call_timeout_ms must be positive");
    options.call_timeout = std::chrono::milliseconds(*ms);
  }
  if (auto n = root["io_threads"].value<std::int64_t>()) {
    if (*n < 2 || *n > 1024) throw UsageError(path + ": io_threads must be between 2 and 1024");
    options.io_threads = static_cast<int>(*n);
  }
  read_learn_config(root, path, learn);
  if (const toml::table* components = root["components"].as_table()) {
    for (const auto& [name, value] : *components) {
      const std::string component(name.str());
      const toml::table* table = value.as_table();
      if (table == nullptr)
        throw UsageError(path + ": [components." + component + "] must be a table");
      for (const auto& [key, v] : *table) {
        if (key.str() != "placement" && key.str() != "config") {
          throw UsageError(path + ": unknown setting 'components." + component + "." +
                           std::string(key.str()) + "' (known: placement, config)");
        }
      }
      if (auto where =
              string_setting(*table, "placement", path, "components." + component + ".placement",
                             "such as \"local\", \"host:port\" or \"sharded{a,b}\"")) {
        options.placements[component] = *where;
      }
      if (const toml::node* config = table->get("config"); config && !config->is_table()) {
        throw UsageError(path + ":" + std::to_string(config->source().begin.line) +
                         ": components." + component + ".config must be a table");
      }
      if (const toml::table* config = (*table)["config"].as_table()) {
        for (const auto& [key, v] : *config) {
          options.configs[component][std::string(key.str())] = to_config_value(
              v, path + ": components." + component + ".config." + std::string(key.str()));
        }
      }
    }
  }
  return file_setting(root, "secret_file", path);
}

}  // namespace hatch

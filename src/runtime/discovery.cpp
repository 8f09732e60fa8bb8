#include "runtime/discovery.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <spdlog/spdlog.h>

#include "core/host_address.hpp"
#include "hatch/error.hpp"
#include "rpc/asio.hpp"
#include "rpc/endpoint.hpp"

namespace hatch::runtime {
namespace {

// The one spelling of "host:port" with a port a node can listen on; throws UsageError naming
// `address` otherwise.
std::string node_address(const std::string& address) {
  if (split_address(address).second == 0) {
    throw UsageError("'" + address + "' names port 0, which no node listens on");
  }
  return canonical_address(address);
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

// Keeps the first kMaxNodes of `nodes`, saying so in `error`.
void bound(std::vector<std::string>& nodes, std::string& error) {
  if (nodes.size() <= Discovery::kMaxNodes) return;
  error = "lists " + std::to_string(nodes.size()) + " nodes, more than the " +
          std::to_string(Discovery::kMaxNodes) + " a source may; kept the first " +
          std::to_string(Discovery::kMaxNodes);
  nodes.resize(Discovery::kMaxNodes);
}

}  // namespace

std::vector<std::string> parse_node_file(std::string_view text, const std::string& path,
                                         std::vector<std::string>& problems) {
  std::vector<std::string> nodes;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_number;
    if (const auto hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    try {
      nodes.push_back(node_address(std::string(line)));
    } catch (const UsageError& e) {
      problems.push_back(path + ":" + std::to_string(line_number) + ": " + e.what() +
                         "; line skipped");
    }
  }
  return nodes;
}

Discovery::Discovery(const std::vector<std::string>& sources, std::chrono::milliseconds interval,
                     Changed changed)
    : interval_(interval), changed_(std::move(changed)) {
  bool dynamic = false;
  std::vector<Source> parsed;
  for (const std::string& spec : sources) {
    parsed.push_back(parse(spec));
    refresh(parsed.back());
    dynamic = dynamic || parsed.back().kind != Source::Kind::fixed;
  }
  {
    MutexLock lock(mu_);
    sources_ = std::move(parsed);
  }
  if (dynamic && interval_.count() > 0) thread_ = std::thread([this] { run(); });
}

Discovery::~Discovery() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> Discovery::nodes() const {
  MutexLock lock(mu_);
  return merged();
}

std::vector<std::string> Discovery::merged() const {
  std::set<std::string> all;
  for (const Source& source : sources_) all.insert(source.nodes.begin(), source.nodes.end());
  return {all.begin(), all.end()};
}

Discovery::Source Discovery::parse(const std::string& spec) {
  Source source;
  source.spec = spec;
  if (spec.starts_with("file:")) {
    source.kind = Source::Kind::file;
    source.path = spec.substr(5);
    if (source.path.empty()) throw UsageError("node source '" + spec + "' names no file");
    return source;
  }
  if (spec.starts_with("dns:")) {
    source.kind = Source::Kind::dns;
    const std::string rest = spec.substr(4);
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      throw UsageError("node source '" + spec + "' is not of the form dns:NAME:PORT");
    }
    source.name = rest.substr(0, colon);
    source.port = rest.substr(colon + 1);
    try {
      node_address("dns:" + source.port);
    } catch (const UsageError& e) {
      throw UsageError("node source '" + spec + "': " + e.what());
    }
    return source;
  }
  source.kind = Source::Kind::fixed;
  try {
    source.nodes.push_back(node_address(spec));
  } catch (const UsageError& e) {
    throw UsageError(std::string("node '") + spec +
                     "' is neither HOST:PORT, file:PATH nor dns:NAME:PORT: " + e.what());
  }
  return source;
}

bool Discovery::refresh(Source& source) {
  if (source.kind == Source::Kind::fixed) return false;
  std::vector<std::string> before = source.nodes;
  const std::string error_before = source.error;
  if (source.kind == Source::Kind::file) {
    read_file(source);
  } else {
    resolve(source);
  }
  if (source.error != error_before) {
    if (!source.error.empty()) {
      spdlog::error("nodes from {}: {}; keeping the {} nodes it listed before", source.spec,
                    source.error, source.nodes.size());
    } else {
      spdlog::info("nodes from {}: readable again", source.spec);
    }
  }
  if (source.nodes == before) return false;
  spdlog::info("nodes from {}: {} ({} before)", source.spec, source.nodes.size(), before.size());
  return true;
}

void Discovery::read_file(Source& source) {
  std::error_code ec;
  const auto modified = std::filesystem::last_write_time(source.path, ec);
  const std::uintmax_t size = ec ? 0 : std::filesystem::file_size(source.path, ec);
  if (ec) {
    source.error = "cannot read " + source.path + ": " + ec.message();
    source.size = static_cast<std::uintmax_t>(-1);  // read it again once it is back
    return;
  }
  if (modified == source.modified && size == source.size && source.error.empty()) return;
  source.modified = modified;
  source.size = size;
  if (size > kMaxFileBytes) {
    source.error = source.path + " holds " + std::to_string(size) + " bytes, more than the " +
                   std::to_string(kMaxFileBytes) + " a node file may";
    return;
  }
  std::ifstream in(source.path, std::ios::binary);
  std::string text(size, '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(size))) {
    source.error = "cannot read " + source.path;
    return;
  }
  std::vector<std::string> problems;
  std::vector<std::string> nodes = parse_node_file(text, source.path, problems);
  for (const std::string& problem : problems) spdlog::warn("nodes from {}", problem);
  source.error.clear();
  bound(nodes, source.error);
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  source.nodes = std::move(nodes);
}

void Discovery::resolve(Source& source) {
  asio::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  const tcp::resolver::results_type results =
      resolver.resolve(source.name, source.port, tcp::resolver::numeric_service, ec);
  if (ec) {
    source.error = "cannot resolve " + source.name + ": " + ec.message();
    return;
  }
  std::set<std::string> found;
  for (const auto& entry : results) {
    const asio::ip::address address = entry.endpoint().address();
    found.insert(canonical_address(address.is_v6() ? "[" + address.to_string() + "]:" + source.port
                                                   : address.to_string() + ":" + source.port));
  }
  std::vector<std::string> nodes(found.begin(), found.end());
  source.error.clear();
  bound(nodes, source.error);
  source.nodes = std::move(nodes);
}

void Discovery::run() {
  for (;;) {
    std::vector<Source> sources;
    {
      MutexLock lock(mu_);
      const auto until = std::chrono::steady_clock::now() + interval_;
      while (!stopping_ && std::chrono::steady_clock::now() < until) wake_.wait_until(lock, until);
      if (stopping_) return;
      sources = sources_;
    }
    bool changed = false;
    for (Source& source : sources) changed = refresh(source) || changed;
    std::vector<std::string> now;
    {
      MutexLock lock(mu_);
      sources_ = std::move(sources);
      now = merged();
    }
    if (changed && changed_) changed_(now);
  }
}

}  // namespace hatch::runtime

#include "status.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ops/http_get.hpp"
#include "ops/http_server.hpp"

namespace hatch::tool {
namespace {

using nlohmann::json;

// Rows of cells printed in aligned columns, the first row as the header.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.size() == 1; }

  std::string render() const {
    std::vector<std::size_t> width(rows_.front().size(), 0);
    for (const auto& row : rows_) {
      for (std::size_t c = 0; c < row.size() && c < width.size(); ++c) {
        width[c] = std::max(width[c], row[c].size());
      }
    }
    std::string out;
    for (const auto& row : rows_) {
      std::string line;
      for (std::size_t c = 0; c < row.size(); ++c) {
        line += row[c];
        if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
      }
      out += line + "\n";
    }
    return out;
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string fixed(double value, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, value);
  return buf;
}

std::string joined(const json& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n.get<std::string>();
  return out.empty() ? "-" : out;
}

class OriginApi {
 public:
  OriginApi(std::string address, std::string token)
      : address_(std::move(address)), token_(std::move(token)) {}

  json get(const std::string& target) const {
    const ops::HttpGetReply reply = ops::http_get(address_, target, token_);
    if (reply.status == 401) {
      throw std::runtime_error("the origin at " + address_ +
                               " wants a token: pass --token-file FILE (" + reply.body + ")");
    }
    if (reply.status != 200) {
      throw std::runtime_error("GET " + target + " from " + address_ + " answered " +
                               std::to_string(reply.status) + ": " + reply.body);
    }
    try {
      return json::parse(reply.body);
    } catch (const json::exception& e) {
      throw std::runtime_error("GET " + target + " from " + address_ +
                               " is not the JSON of a Hatch origin: " + e.what());
    }
  }

 private:
  std::string address_;
  std::string token_;
};

std::string render(const OriginApi& api, const StatusOptions& o) {
  const json overview = api.get("/api/overview");
  const json nodes = api.get("/api/nodes");
  const json placements = api.get("/api/placements");
  const json learner = api.get("/api/learner?after=18446744073709551615");
  const json decisions = api.get("/api/decisions");

  std::ostringstream out;
  out << "origin " << o.origin << ", up " << fixed(overview.at("uptime_s").get<double>(), 0)
      << " s, " << overview.at("components").get<std::size_t>() << " components on "
      << overview.at("nodes").get<std::size_t>() << " nodes\n"
      << "design: " << overview.at("design").get<std::string>() << "\n\n";

  Table hosts({"HOST", "HEALTH", "COMPONENTS"});
  hosts.add({"origin", "this process", joined(nodes.at("origin").at("components"))});
  for (const auto& n : nodes.at("nodes")) {
    hosts.add({n.at("address").get<std::string>(), n.at("health").get<std::string>(),
               joined(n.at("components"))});
  }
  out << hosts.render() << "\n";

  Table components({"COMPONENT", "PLACEMENT", "HOMES"});
  for (const auto& c : placements.at("components")) {
    std::string homes;
    for (const auto& h : c.at("homes")) {
      homes += (homes.empty() ? "" : ", ") + h.at("host").get<std::string>() + " (" +
               h.at("role").get<std::string>() + ")";
    }
    components.add({c.at("name").get<std::string>(), c.at("placement").get<std::string>(), homes});
  }
  out << components.render() << "\n";

  const json& s = learner.at("status");
  if (s.is_null()) {
    out << "learner: off (the program runs without the autopilot)\n";
  } else {
    std::string flags;
    for (const char* flag : {"converged", "paused", "frozen"}) {
      if (s.at(flag).get<bool>()) flags += std::string(", ") + flag;
    }
    out << "learner: " << s.at("phase").get<std::string>() << flags << "; "
        << s.at("windows").get<std::uint64_t>() << " windows ("
        << s.at("exploring_windows").get<std::uint64_t>() << " exploring), "
        << s.at("shifts").get<std::uint64_t>() << " shifts, design space "
        << s.at("design_space_size").get<std::string>() << "\n"
        << "  incumbent: " << s.at("incumbent").get<std::string>() << " (reward "
        << fixed(s.at("incumbent_reward").get<double>(), 3) << ")\n"
        << "  best:      " << s.at("best").get<std::string>() << "\n";
    if (const std::string error = s.at("error").get<std::string>(); !error.empty()) {
      out << "  stopped on an error: " << error << "\n";
    }
  }

  Table moves({"WINDOW", "KIND", "COMPONENT", "FROM -> TO", "REWARD", "PAUSE", "WHY"});
  const json& log = decisions.at("decisions");
  int shown = 0;
  for (auto d = log.rbegin(); d != log.rend() && shown < o.moves; ++d, ++shown) {
    const std::string from = d->at("from").get<std::string>();
    const double after = d->at("reward_after").get<double>();
    moves.add({"w" + std::to_string(d->at("window").get<std::uint64_t>()),
               d->at("kind").get<std::string>(), d->at("component").get<std::string>(),
               from.empty() ? "" : from + " -> " + d->at("to").get<std::string>(),
               from.empty() ? ""
                            : fixed(d->at("reward_before").get<double>(), 3) + " -> " +
                                  (after < 0 ? "..." : fixed(after, 3)),
               from.empty() ? "" : fixed(d->at("pause_ms").get<double>(), 2) + " ms",
               d->at("why").get<std::string>()});
  }
  out << "\n";
  if (moves.empty()) {
    out << "decision log: empty\n";
  } else {
    out << "decision log (newest first, " << shown << " of " << log.size() << "):\n"
        << moves.render();
  }
  return out.str();
}

}  // namespace

void add_status_options(CLI::App& cli, StatusOptions& options) {
  cli.add_option("--origin", options.origin,
                 "the origin's HTTP address, HOST:PORT (its --hatch-http-listen)")
      ->required();
  cli.add_option("--token-file", options.token_file,
                 "a file holding the origin's HTTP token (when it serves off loopback)")
      ->envname("HATCH_HTTP_TOKEN_FILE");
  cli.add_flag("--watch", options.watch, "redraw until interrupted");
  cli.add_option("--interval", options.interval_s, "seconds between redraws with --watch")
      ->check(CLI::Range(0.2, 3600.0));
  cli.add_option("--moves", options.moves, "how many of the last decisions to show")
      ->check(CLI::Range(0, 4096));
}

int run_status(const StatusOptions& o) {
  std::string token;
  try {
    if (!o.token_file.empty()) token = ops::read_token_file(o.token_file);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hatch status: %s\n", e.what());
    return 2;
  }
  const OriginApi api(o.origin, token);
  const bool terminal = ::isatty(STDOUT_FILENO) != 0;
  for (;;) {
    std::string page;
    bool ok = true;
    try {
      page = render(api, o);
    } catch (const std::exception& e) {
      page = std::string("hatch status: cannot read the origin: ") + e.what() + "\n";
      ok = false;
    }
    if (!o.watch) {
      std::fputs(page.c_str(), ok ? stdout : stderr);
      return ok ? 0 : 1;
    }
    // Home and clear on a terminal; a separator line when the output goes to a file.
    std::fputs(terminal ? "\x1b[H\x1b[2J" : "----\n", stdout);
    std::fputs(page.c_str(), stdout);
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::duration<double>(o.interval_s));
  }
}

}  // namespace hatch::tool

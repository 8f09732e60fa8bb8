// Where the origin finds its nodes, besides those that join it (Options::listen). Each source of
// Options::nodes is one of:
//
//   "host:port"       a node at a fixed address;
//   "file:PATH"       a file listing one "host:port" per line (blank lines and # comments are
//                     skipped), read again whenever its modification time or size changes;
//   "dns:NAME:PORT"   every A and AAAA record of NAME, each with PORT, resolved again every
//                     interval. A Kubernetes headless Service lists its ready pods this way.
//
// A source that fails (the file unreadable, the name not resolving) keeps the nodes it listed
// last: a file being rewritten or a DNS server restarting must not empty the cluster. The log says
// what failed once per change of the error, and when the source works again. A file line that is
// not an address is skipped with a warning naming the file and line.
//
// Bounds: a file is read up to kMaxFileBytes, and one source lists at most kMaxNodes nodes (more
// is an error in the log; the first kMaxNodes are kept).
//
// Thread safety: every member may be called from any thread. The sources are read again on a
// thread of the object's own, which calls `changed` (never under its lock). A DNS lookup blocks
// that thread, not the origin, for as long as the system resolver takes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "hatch/internal/mutex.hpp"

namespace hatch::runtime {

class Discovery {
 public:
  static constexpr std::size_t kMaxFileBytes = 1 << 20;
  static constexpr std::size_t kMaxNodes = 1024;

  using Changed = std::function<void(const std::vector<std::string>& nodes)>;

  // Reads every source once before it returns (so the first nodes() is complete), then, when a
  // source can change, every `interval` on a thread of its own. Throws UsageError naming a
  // malformed source.
  Discovery(const std::vector<std::string>& sources, std::chrono::milliseconds interval,
            Changed changed);
  ~Discovery();
  Discovery(const Discovery&) = delete;
  Discovery& operator=(const Discovery&) = delete;

  // Every node the sources list now, sorted, without duplicates.
  std::vector<std::string> nodes() const;

 private:
  struct Source {
    enum class Kind { fixed, file, dns } kind;
    std::string spec;  // as written, for the log
    std::string path;  // file
    std::string name;  // dns
    std::string port;  // dns
    std::vector<std::string> nodes;
    std::string error;  // the last read's failure, "" when it worked
    // The file as last read: its modification time and size.
    std::chrono::file_clock::time_point modified{};
    std::uintmax_t size = static_cast<std::uintmax_t>(-1);
  };

  static Source parse(const std::string& spec);
  // Reads `source` again; returns whether its nodes changed.
  static bool refresh(Source& source);
  static void read_file(Source& source);
  static void resolve(Source& source);
  void run();
  std::vector<std::string> merged() const HATCH_REQUIRES(mu_);

  const std::chrono::milliseconds interval_;
  const Changed changed_;
  mutable Mutex mu_;
  std::condition_variable_any wake_;
  bool stopping_ HATCH_GUARDED_BY(mu_) = false;
  std::vector<Source> sources_ HATCH_GUARDED_BY(mu_);
  std::thread thread_;  // last: starts once everything above is ready
};

// The nodes a node file lists: one "host:port" per line, blank lines and # comments skipped.
// Each bad line is skipped and described in `problems` as "PATH:LINE: ...".
std::vector<std::string> parse_node_file(std::string_view text, const std::string& path,
                                         std::vector<std::string>& problems);

}  // namespace hatch::runtime

// The "cache" component: an LRU of response bodies bounded by a byte budget. The budget is an
// emulated memory limit: each host's instance may have its own, so that a working set larger
// than one host's budget makes sharding the cache pay off on one machine.
//
// Config:
//   emulated_cache_bytes         (int, default 64 MiB) the budget of every instance
//   emulated_cache_bytes@HOST    (int) the budget of the instance on HOST, as placements spell it
//                                ("origin" for the origin's process); overrides the above
//
// An entry is one path with the bodies of its codings. Its size counts the path, the codings'
// names and the bodies. A body that cannot fit the budget on its own is not cached.
//
// Thread safety: every method takes mu_.
#include <list>
#include <map>
#include <mutex>
#include <unordered_map>

#include "cache.hpp"
#include "hatch/component.hpp"

namespace hatch::web {
namespace {

// An entry as it is kept, and as it travels when the cache moves.
struct CacheEntry {
  std::uint64_t version = 0;
  std::map<std::string, std::string> bodies;  // coding -> bytes
  HATCH_FIELDS(version, bodies);
};

std::int64_t budget_of(Context& ctx) {
  const std::int64_t all = ctx.config<std::int64_t>("emulated_cache_bytes", std::int64_t{64} << 20);
  const std::int64_t here = ctx.config<std::int64_t>("emulated_cache_bytes@" + ctx.host(), all);
  if (here < 0) throw UsageError("cache: emulated_cache_bytes must not be negative");
  return here;
}

class LruCache final : public Cache, public KeyedState {
 public:
  explicit LruCache(Context& ctx) : budget_(static_cast<std::uint64_t>(budget_of(ctx))) {}

  std::optional<CachedBody> get(const std::string& path, const std::string& coding) override {
    std::lock_guard lock(mu_);
    auto it = entries_.find(path);
    if (it == entries_.end()) return std::nullopt;
    auto body = it->second.entry.bodies.find(coding);
    if (body == it->second.entry.bodies.end()) return std::nullopt;
    recency_.splice(recency_.begin(), recency_, it->second.position);
    return CachedBody{it->second.entry.version, body->second};
  }

  void put(const std::string& path, const std::string& coding, const CachedBody& body) override {
    if (path.size() + coding.size() + body.body.size() > budget_) return;
    std::lock_guard lock(mu_);
    auto it = entries_.find(path);
    if (it == entries_.end()) {
      recency_.push_front(path);
      it = entries_.emplace(path, Slot{CacheEntry{body.version, {}}, recency_.begin()}).first;
    } else {
      if (body.version < it->second.entry.version) return;
      if (body.version > it->second.entry.version) {
        it->second.entry = CacheEntry{body.version, {}};
      }
      recency_.splice(recency_.begin(), recency_, it->second.position);
    }
    it->second.entry.bodies[coding] = body.body;
    resize(it->first, it->second);
    evict_to_budget();
  }

  std::uint64_t bytes_used() override {
    std::lock_guard lock(mu_);
    return used_;
  }

  // Least recently used first, so that an import in this order rebuilds the same recency.
  StateEntries export_entries() override {
    std::lock_guard lock(mu_);
    StateEntries out;
    out.reserve(entries_.size());
    for (auto it = recency_.rbegin(); it != recency_.rend(); ++it) {
      out.emplace_back(*it, to_bytes(entries_.at(*it).entry));
    }
    return out;
  }
  void import_entries(StateEntries entries) override {
    std::lock_guard lock(mu_);
    for (auto& [path, bytes] : entries) {
      auto it = entries_.find(path);
      if (it == entries_.end()) {
        recency_.push_front(path);
        it = entries_.emplace(path, Slot{{}, recency_.begin()}).first;
      } else {
        recency_.splice(recency_.begin(), recency_, it->second.position);
      }
      it->second.entry = from_bytes<CacheEntry>(bytes);
      resize(it->first, it->second);
    }
    evict_to_budget();
  }

 private:
  struct Slot {
    CacheEntry entry;
    std::list<std::string>::iterator position;  // in recency_
    std::uint64_t bytes = 0;
  };

  void resize(const std::string& path, Slot& slot) {
    std::uint64_t bytes = path.size();
    for (const auto& [coding, body] : slot.entry.bodies) bytes += coding.size() + body.size();
    used_ = used_ - slot.bytes + bytes;
    slot.bytes = bytes;
  }

  void evict_to_budget() {
    while (used_ > budget_ && !recency_.empty()) {
      auto victim = entries_.find(recency_.back());
      used_ -= victim->second.bytes;
      entries_.erase(victim);
      recency_.pop_back();
    }
  }

  const std::uint64_t budget_;
  std::mutex mu_;
  std::list<std::string> recency_;                 // most recent first; guarded by mu_
  std::unordered_map<std::string, Slot> entries_;  // guarded by mu_
  std::uint64_t used_ = 0;                         // guarded by mu_
};

}  // namespace

HATCH_COMPONENT(LruCache, Cache, "cache");

}  // namespace hatch::web

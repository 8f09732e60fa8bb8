#include "sim/random_scenario.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "hatch/error.hpp"
#include "sim/latency_model.hpp"

namespace hatch::sim {
namespace {

enum class Role { cache, compressor, store, stats, session, search, auth, render, worker };

// Draws with our own arithmetic on the raw engine output, so that a seed gives the same
// scenario whatever the standard library's distributions do.
class Draw {
 public:
  explicit Draw(std::uint64_t seed) : rng_(seed) {}
  double unit() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * unit(); }
  double log_uniform(double lo, double hi) { return lo * std::pow(hi / lo, unit()); }
  std::size_t below(std::size_t n) {
    return static_cast<std::size_t>(unit() * static_cast<double>(n));
  }
  template <typename T>
  const T& pick(const std::vector<T>& from) {
    return from[below(from.size())];
  }

 private:
  std::mt19937_64 rng_;
};

struct Builder {
  Draw draw;
  Scenario s;
  double document_bytes = 0;

  std::size_t add(std::string name, StateKind kind, double read_ms, double write_ms,
                  double memory_mb = 0) {
    ComponentModel c;
    c.name = std::move(name);
    c.kind = kind;
    c.read_ms = read_ms;
    c.write_ms = write_ms;
    c.memory_mb = memory_mb;
    s.components.push_back(std::move(c));
    return s.components.size() - 1;
  }

  void call(std::size_t from, std::size_t to, CallOp op, bool keyed, double reads, double writes,
            double request_bytes, double response_bytes, CallWhen when = CallWhen::always,
            std::size_t cache = 0) {
    EdgeModel e;
    e.caller = from;
    e.callee = to;
    e.op = op;
    e.keyed = keyed;
    e.calls = {reads, writes};
    e.request_bytes = request_bytes;
    e.response_bytes = response_bytes;
    e.when = when;
    e.cache = cache;
    s.edges.push_back(std::move(e));
  }

  void hosts(std::size_t nodes) {
    s.hosts.push_back({"local", draw.pick<double>({1, 2, 2, 4}), draw.log_uniform(256, 2048)});
    for (std::size_t i = 0; i < nodes; ++i) {
      s.hosts.push_back({std::string(1, static_cast<char>('a' + i)),
                         draw.pick<double>({1, 2, 4, 4, 8, 16}), draw.log_uniform(256, 8192)});
    }
    const std::size_t n = s.hosts.size();
    s.rtt_ms.assign(n * n, 0);
    s.bandwidth_mb_per_s.assign(n * n, 1e6);
    for (std::size_t a = 0; a < n; ++a) {
      for (std::size_t b = a + 1; b < n; ++b) {
        s.rtt_ms[a * n + b] = s.rtt_ms[b * n + a] = draw.log_uniform(0.05, 2);
        s.bandwidth_mb_per_s[a * n + b] = s.bandwidth_mb_per_s[b * n + a] =
            draw.log_uniform(50, 2000);
      }
    }
  }

  double median_node_memory() const {
    std::vector<double> memory;
    for (std::size_t h = 1; h < s.hosts.size(); ++h) memory.push_back(s.hosts[h].memory_mb);
    std::sort(memory.begin(), memory.end());
    return memory[memory.size() / 2];
  }

  // The roles beyond frontend and handler: a cache or a CPU-heavy component first, then the
  // others in a seeded order, then plain workers.
  std::vector<Role> roles(std::size_t count) {
    std::vector<Role> pool = {Role::compressor, Role::store, Role::stats, Role::session,
                              Role::search,     Role::auth,  Role::render};
    std::vector<Role> out = {draw.unit() < 0.6 ? Role::cache : Role::compressor};
    pool.erase(std::remove(pool.begin(), pool.end(), out[0]), pool.end());
    if (out[0] == Role::compressor) pool.push_back(Role::cache);
    for (std::size_t i = pool.size(); i > 1; --i) std::swap(pool[i - 1], pool[draw.below(i)]);
    if (out[0] == Role::compressor) {  // a stateful or keyed role next, for a mix of kinds
      auto stateful = std::find_if(pool.begin(), pool.end(),
                                   [](Role r) { return r != Role::auth && r != Role::render; });
      std::rotate(pool.begin(), stateful, stateful + 1);
    }
    for (Role r : pool) {
      if (out.size() < count) out.push_back(r);
    }
    while (out.size() < count) out.push_back(Role::worker);
    return out;
  }

  void components(std::size_t count) {
    const std::size_t frontend = add("frontend", StateKind::stateless, draw.log_uniform(0.02, 0.1),
                                     draw.log_uniform(0.02, 0.1));
    s.components[frontend].pinned = true;
    s.entry = frontend;
    const std::size_t handler = add("handler", StateKind::stateless, draw.log_uniform(0.05, 0.5),
                                    draw.log_uniform(0.05, 0.5));
    document_bytes = draw.log_uniform(2e3, 2e5);
    const double d = document_bytes;
    call(frontend, handler, CallOp::read, true, 1, 1, draw.log_uniform(200, 800), d);
    const std::vector<Role> chosen = roles(count - 2);
    auto has = [&](Role r) { return std::find(chosen.begin(), chosen.end(), r) != chosen.end(); };
    std::size_t cache = 0;
    std::size_t workers = 0;
    if (has(Role::cache)) {
      cache = add("cache", StateKind::keyed, draw.log_uniform(0.01, 0.08),
                  draw.log_uniform(0.01, 0.12));
      s.components[cache].cache = CacheSpec{draw.uniform(1.2, 3) * median_node_memory(),
                                            draw.uniform(0.8, 0.98), draw.uniform(0.3, 0.8)};
      call(handler, cache, CallOp::read, true, 1, 0, 100, d);
      call(handler, cache, CallOp::write, true, 1, 0, d, 50, CallWhen::on_miss, cache);
      call(handler, cache, CallOp::write, true, 0, 1, 100, 50);
    }
    const CallWhen on_miss = has(Role::cache) ? CallWhen::on_miss : CallWhen::always;
    for (Role role : chosen) {
      switch (role) {
        case Role::cache:
          break;
        case Role::compressor: {
          const std::size_t c = add("compressor", StateKind::stateless, draw.log_uniform(0.5, 4),
                                    draw.log_uniform(0.5, 4));
          call(handler, c, CallOp::read, true, 1, 0, d, d / 3, on_miss, cache);
          break;
        }
        case Role::store: {
          const std::size_t c = add("store", StateKind::keyed, draw.log_uniform(0.3, 3),
                                    draw.log_uniform(0.5, 4), draw.log_uniform(100, 1000));
          call(handler, c, CallOp::read, true, 1, 0, 100, d, on_miss, cache);
          call(handler, c, CallOp::write, true, 0, 1, d, 50);
          call(handler, c, CallOp::read, false, draw.uniform(0, 0.05), 0, 100, 2000);
          break;
        }
        case Role::stats: {
          const std::size_t c = add("stats", StateKind::keyed, draw.log_uniform(0.05, 0.5),
                                    draw.log_uniform(0.02, 0.3), draw.log_uniform(10, 200));
          call(handler, c, CallOp::write, true, 1, 1, 80, 10);
          call(handler, c, CallOp::read, false, draw.uniform(0.01, 0.1), 0, 50, 100);
          break;
        }
        case Role::session: {
          const std::size_t c = add("session", StateKind::stateful, draw.log_uniform(0.05, 0.4),
                                    draw.log_uniform(0.1, 0.8), draw.log_uniform(50, 500));
          call(frontend, c, CallOp::read, true, 1, 1, 100, 500);
          call(frontend, c, CallOp::write, true, draw.uniform(0.05, 0.3), 1, 500, 20);
          break;
        }
        case Role::search: {
          const std::size_t c = add("search", StateKind::keyed, draw.log_uniform(0.5, 3),
                                    draw.log_uniform(0.2, 1), draw.log_uniform(200, 1500));
          call(handler, c, CallOp::read, false, draw.uniform(0.1, 0.5), 0, 200,
               draw.log_uniform(1e3, 2e4));
          call(handler, c, CallOp::write, true, 0, 1, d / 4, 20);
          break;
        }
        case Role::auth: {
          const std::size_t c = add("auth", StateKind::stateless, draw.log_uniform(0.05, 0.6),
                                    draw.log_uniform(0.05, 0.6));
          call(frontend, c, CallOp::read, true, 1, 1, 300, 100);
          break;
        }
        case Role::render: {
          const std::size_t c = add("render", StateKind::stateless, draw.log_uniform(0.5, 5),
                                    draw.log_uniform(0.5, 5));
          call(handler, c, CallOp::read, true, draw.uniform(0.3, 1), 0, 2000, d);
          break;
        }
        case Role::worker: {
          const std::size_t c = add("worker" + std::to_string(++workers), StateKind::stateless,
                                    draw.log_uniform(0.05, 1), draw.log_uniform(0.05, 1));
          call(handler, c, CallOp::read, true, draw.uniform(0.1, 1), draw.uniform(0.1, 1), 500,
               draw.log_uniform(100, 1e4));
          break;
        }
      }
    }
  }

  // The request rate that loads the origin to `utilisation` when everything runs there, but
  // leaves the whole cluster at most 60% busy, so that a good design exists.
  // A good design for `model`: the best of a few hundred random ones, improved one component at
  // a time until no single change helps.
  Choice good_design(const LatencyModel& model, const DesignSpace& space) {
    Choice best(space.component_count(), 0);
    double best_ms = model.latency_ms(best);
    for (int i = 0; i < 300; ++i) {
      Choice c(space.component_count());
      for (std::size_t k = 0; k < c.size(); ++k) {
        c[k] = draw.below(space.option_count(k));
      }
      const double ms = model.latency_ms(c);
      if (ms < best_ms) {
        best_ms = ms;
        best = c;
      }
    }
    for (bool improved = true; improved;) {
      improved = false;
      for (std::size_t k = 0; k < best.size(); ++k) {
        Choice c = best;
        for (c[k] = 0; c[k] < space.option_count(k); ++c[k]) {
          const double ms = model.latency_ms(c);
          if (ms < best_ms * (1 - 1e-9)) {
            best_ms = ms;
            best = c;
            improved = true;
          }
        }
      }
    }
    return best;
  }

  // How much worse the design that is good now does under `after` than one good for `after`.
  double shift_penalty(const Workload& after) {
    const DesignSpace space = s.space();
    const LatencyModel now(s, s.workload, space);
    const LatencyModel then(s, after, space);
    return then.latency_ms(good_design(now, space)) / then.latency_ms(good_design(then, space));
  }

  double rate_for(const Workload& workload, double utilisation) {
    Scenario probe = s;
    probe.workload = workload;
    probe.workload.rate = 1;
    probe.shift.reset();
    const DesignSpace space = probe.space();
    const LatencyModel model(probe, probe.workload, space);
    const double origin_cores = s.hosts[0].cores;
    const double per_request_ms =
        model.detail(Choice(space.component_count(), 0)).host_utilisation[0] * origin_cores * 1000;
    double all_cores = 0;
    for (const HostSpec& h : s.hosts) all_cores += h.cores;
    return std::min(utilisation * origin_cores, 0.6 * all_cores) * 1000 / per_request_ms;
  }
};

}  // namespace

Scenario random_scenario(std::uint64_t seed, const RandomScenarioOptions& options) {
  Builder b{Draw(seed), {}};
  std::size_t components = options.components;
  std::size_t nodes = options.nodes;
  if (components == 0 && nodes == 0) {
    const bool wide = b.draw.unit() < 0.75;
    components = wide ? 5 : 6;
    nodes = wide ? 5 : 4;
  }
  if (components == 0) components = 6;
  if (nodes == 0) nodes = 4;
  if (components < 3 || components > kMaxSimComponents) {
    throw UsageError("random scenario: components must be between 3 and " +
                     std::to_string(kMaxSimComponents) + ", got " + std::to_string(components));
  }
  if (nodes < 1 || nodes > kMaxSimNodes) {
    throw UsageError("random scenario: nodes must be between 1 and " +
                     std::to_string(kMaxSimNodes) + ", got " + std::to_string(nodes));
  }
  b.s.name = "random-" + std::to_string(seed);
  b.s.classes = {"read", "write"};
  b.s.latency_cv = b.draw.uniform(0.5, 1.0);
  b.hosts(nodes);
  b.components(components);
  const double reads = b.draw.uniform(0.6, 0.97);
  b.s.workload.mix = {reads, 1 - reads};
  const double load = b.draw.uniform(0.9, 1.25);
  b.s.workload.rate = b.rate_for(b.s.workload, load);
  if (options.shift_at) {
    if (*options.shift_at < 1) throw UsageError("random scenario: the shift needs a window >= 1");
    Shift shift;
    shift.at_window = *options.shift_at;
    // A light load turns heavy and a heavy one light, so that the best design moves. Of a few
    // such shifts, the one that hurts the old best design most (by a quick local search).
    double worst = 0;
    for (int attempt = 0; attempt < 8; ++attempt) {
      Workload after;
      const double shifted_reads =
          reads > 0.8 ? b.draw.uniform(0.3, 0.6) : b.draw.uniform(0.85, 0.98);
      after.mix = {shifted_reads, 1 - shifted_reads};
      const double shifted_load =
          load < 1.05 ? b.draw.uniform(1.6, 3.0) : b.draw.uniform(0.25, 0.5);
      after.rate = b.rate_for(after, shifted_load);
      const double hurt = b.shift_penalty(after);
      if (hurt > worst) {
        worst = hurt;
        shift.workload = after;
      }
    }
    b.s.shift = shift;
  }
  validate(b.s);
  return std::move(b.s);
}

}  // namespace hatch::sim

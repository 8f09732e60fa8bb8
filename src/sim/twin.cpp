#include "sim/twin.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <string>
#include <utility>

#include "hatch/error.hpp"
#include "sim/brute_force.hpp"

namespace hatch::sim {
namespace {

constexpr double kAmpleMemoryMb = 1e9;
constexpr double kAmpleBandwidth = 1e9;  // MB/s: payload costs are folded into the round trip
constexpr double kPriorRttMs = 0.1;      // a link not measured yet, before any is
constexpr double kTiny = 1e-6;

using Pair = std::pair<std::size_t, std::size_t>;

// One window's calls per pair of components, several edges of one pair merged.
struct PairCalls {
  double calls_per_s = 0;
  double latency_sum = 0;  // latency_ms weighted by calls_per_s
  double bytes_sum = 0;    // bytes_per_call weighted by calls_per_s

  double latency_ms() const { return calls_per_s > 0 ? latency_sum / calls_per_s : 0; }
};

std::map<Pair, PairCalls> pairs_of(const Window& window) {
  std::map<Pair, PairCalls> out;
  for (const EdgeWindow& e : window.edges) {
    if (!(e.calls_per_s > 0)) continue;
    PairCalls& p = out[{e.caller, e.callee}];
    p.calls_per_s += e.calls_per_s;
    p.latency_sum += e.calls_per_s * e.latency_ms;
    p.bytes_sum += e.calls_per_s * e.bytes_per_call;
  }
  return out;
}

// The measured time a component spent in itself per call: its latency as its callers saw it,
// less its calls' latencies.
double own_ms(const Window& window, const std::map<Pair, PairCalls>& pairs, std::size_t c) {
  const ComponentWindow& cw = window.components[c];
  double own = cw.latency.mean_ms;
  for (const auto& [pair, calls] : pairs) {
    if (pair.first == c) own -= calls.calls_per_s / cw.calls_per_s * calls.latency_ms();
  }
  return own;
}

}  // namespace

Twin::Twin(const DesignSpace& space, std::size_t entry, std::vector<double> cores)
    : space_(space), entry_(entry), cores_(std::move(cores)) {
  if (cores_.size() != space_.place_count()) {
    throw UsageError("twin: " + std::to_string(cores_.size()) + " core counts for " +
                     std::to_string(space_.place_count()) + " places (the origin and each host)");
  }
  if (space_.hosts().size() > kMaxSimNodes || space_.component_count() > kMaxSimComponents) {
    throw UsageError("twin: the model takes at most " + std::to_string(kMaxSimNodes) +
                     " hosts and " + std::to_string(kMaxSimComponents) + " components");
  }
  if (entry_ >= space_.component_count()) throw UsageError("twin: the entry is out of range");
  for (double c : cores_) {
    if (!(c > 0)) throw UsageError("twin: every place needs a positive number of cores");
  }
  service_ms_.assign(space_.component_count(), 0);
  rtt_ms_.assign(space_.place_count() * space_.place_count(), -1);  // < 0: not measured

  fitted_.name = "twin";
  fitted_.hosts.push_back({"local", cores_[0], kAmpleMemoryMb});
  for (std::size_t h = 0; h < space_.hosts().size(); ++h) {
    fitted_.hosts.push_back({space_.hosts()[h], cores_[h + 1], kAmpleMemoryMb});
  }
  for (std::size_t c = 0; c < space_.component_count(); ++c) {
    const ComponentSpec& spec = space_.component(c);
    ComponentModel m;
    m.name = spec.name;
    m.kind = spec.kind;
    m.pinned = spec.pinned;
    fitted_.components.push_back(std::move(m));
  }
  fitted_.entry = entry_;
  fitted_.classes = {"all"};
  fitted_.workload.mix = {1};
  fitted_.bandwidth_mb_per_s.assign(rtt_ms_.size(), kAmpleBandwidth);
}

Twin::~Twin() = default;

void Twin::observe(const Choice& design, const Window& window) {
  space_.check(design);
  if (window.components.size() != space_.component_count()) {
    throw UsageError("twin: a window of " + std::to_string(window.components.size()) +
                     " components for a space of " + std::to_string(space_.component_count()));
  }
  for (const EdgeWindow& e : window.edges) {
    if (e.caller >= space_.component_count() || e.callee >= space_.component_count()) {
      throw UsageError("twin: a window's edge names a component out of range");
    }
  }
  if (!(window.throughput_rps > 0)) return;  // nothing ran: nothing to fit
  // A fit that fails leaves the twin as it was, without the window.
  const std::deque<Recent> recent = recent_;
  const std::vector<double> service = service_ms_;
  const std::vector<double> rtt = rtt_ms_;
  const Scenario fitted = fitted_;
  try {
    recent_.push_back({design, window});
    if (recent_.size() > kRecent) recent_.pop_front();
    fit_graph();
    rebuild();
    fit_services();
    // A link's residual depends on the links below it: a few passes settle them.
    for (int pass = 0; pass < kPasses; ++pass) {
      rebuild();
      fit_links();
    }
    rebuild();
  } catch (...) {
    recent_ = recent;
    service_ms_ = service;
    rtt_ms_ = rtt;
    fitted_ = fitted;
    if (!recent_.empty()) rebuild();
    throw;
  }
}

std::optional<double> Twin::predict_ms(const Choice& design) const {
  if (!model_) return std::nullopt;
  space_.check(design);
  return model_->latency_ms(design);
}

std::optional<Choice> Twin::best_design(std::uint64_t evaluations, std::uint64_t seed) const {
  if (!model_) return std::nullopt;
  return best_of_descents(*model_, space_, evaluations, seed).choice;
}

void Twin::fit_graph() {
  // Per pair: calls per call of the caller, and bytes per call, over the recent windows.
  std::map<Pair, std::pair<double, double>> per_caller_call;  // calls, caller calls
  std::map<Pair, double> bytes;
  double throughput = 0;
  for (const Recent& r : recent_) {
    throughput += r.window.throughput_rps;
    for (const auto& [pair, calls] : pairs_of(r.window)) {
      const double caller = r.window.components[pair.first].calls_per_s;
      if (!(caller > 0)) continue;
      per_caller_call[pair].first += calls.calls_per_s;
      per_caller_call[pair].second += caller;
      bytes[pair] += calls.bytes_sum;
    }
  }
  fitted_.workload.rate = throughput / static_cast<double>(recent_.size());
  // The busiest pairs first; a pair that would close a cycle is left out (a live program's
  // callbacks), since the model needs a call graph without one.
  std::vector<std::pair<Pair, double>> ranked;
  for (const auto& [pair, sums] : per_caller_call) ranked.push_back({pair, sums.first});
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  fitted_.edges.clear();
  const std::size_t n = space_.component_count();
  std::vector<std::vector<bool>> reaches(n, std::vector<bool>(n, false));
  for (std::size_t c = 0; c < n; ++c) reaches[c][c] = true;
  for (const auto& [pair, calls] : ranked) {
    const auto [caller, callee] = pair;
    if (reaches[callee][caller] || fitted_.edges.size() == kMaxSimEdges) continue;
    for (std::size_t a = 0; a < n; ++a) {
      if (!reaches[a][caller]) continue;
      for (std::size_t b = 0; b < n; ++b) reaches[a][b] = reaches[a][b] || reaches[callee][b];
    }
    EdgeModel e;
    e.caller = caller;
    e.callee = callee;
    e.op = CallOp::read;
    e.keyed = true;
    e.calls = {calls / per_caller_call[pair].second};
    e.request_bytes = e.response_bytes = bytes[pair] / calls / 2;
    fitted_.edges.push_back(e);
  }
}

void Twin::rebuild() {
  const std::size_t places = space_.place_count();
  double known_sum = 0;
  std::size_t known = 0;
  for (std::size_t i = 0; i < rtt_ms_.size(); ++i) {
    if (rtt_ms_[i] >= 0 && i / places != i % places) {
      known_sum += rtt_ms_[i];
      ++known;
    }
  }
  const double prior = known > 0 ? known_sum / static_cast<double>(known) : kPriorRttMs;
  fitted_.rtt_ms.resize(rtt_ms_.size());
  for (std::size_t i = 0; i < rtt_ms_.size(); ++i) {
    fitted_.rtt_ms[i] = rtt_ms_[i] >= 0 ? rtt_ms_[i] : prior;
  }
  for (std::size_t c = 0; c < service_ms_.size(); ++c) {
    fitted_.components[c].read_ms = fitted_.components[c].write_ms = service_ms_[c];
  }
  validate(fitted_);
  model_ = std::make_unique<LatencyModel>(fitted_, fitted_.workload, space_);
}

std::optional<std::size_t> Twin::single_place(const Choice& design, std::size_t component) const {
  const HostMask mask = space_.option_mask(component, design[component]);
  if (!std::has_single_bit(mask)) return std::nullopt;
  return static_cast<std::size_t>(std::countr_zero(mask));
}

bool Twin::beside_callers(const Recent& recent, std::size_t component) const {
  const std::optional<std::size_t> place = single_place(recent.design, component);
  if (!place) return false;
  if (component == entry_ && *place != 0) return false;
  for (const EdgeWindow& e : recent.window.edges) {
    if (e.callee != component || !(e.calls_per_s > 0)) continue;
    if (single_place(recent.design, e.caller) != place) return false;
  }
  return true;
}

void Twin::fit_services() {
  // A host is read when every component there ran alone beside its callers: then what each
  // measured in itself is its service time times the host's one queueing factor f, and the
  // host's utilisation, hence f, follows from the service times (f = inflation(utilisation(f))).
  const std::size_t places = space_.place_count();
  std::vector<double> sum(service_ms_.size(), 0);
  std::vector<double> weight(service_ms_.size(), 0);
  for (const Recent& r : recent_) {
    const std::map<Pair, PairCalls> pairs = pairs_of(r.window);
    std::vector<std::vector<std::size_t>> at(places);
    std::vector<bool> readable(places, true);
    for (std::size_t c = 0; c < service_ms_.size(); ++c) {
      if (!(r.window.components[c].calls_per_s > 0)) continue;
      const std::optional<std::size_t> place = single_place(r.design, c);
      if (place && beside_callers(r, c)) {
        at[*place].push_back(c);
        continue;
      }
      const HostMask mask = space_.option_mask(c, r.design[c]);
      for (std::size_t p = 0; p < places; ++p) {
        if (mask & (HostMask{1} << p)) readable[p] = false;
      }
    }
    for (std::size_t p = 0; p < places; ++p) {
      if (!readable[p] || at[p].empty()) continue;
      std::vector<double> own(at[p].size());
      double busy_ms = 0;  // per second, at f = 1
      for (std::size_t i = 0; i < own.size(); ++i) {
        own[i] = std::max(kTiny, own_ms(r.window, pairs, at[p][i]));
        busy_ms += r.window.components[at[p][i]].calls_per_s * own[i];
      }
      const double factor = queueing_factor(p, busy_ms / (1000 * cores_[p]));
      for (std::size_t i = 0; i < own.size(); ++i) {
        const double w = r.window.components[at[p][i]].calls_per_s * r.window.seconds;
        sum[at[p][i]] += w * own[i] / factor;
        weight[at[p][i]] += w;
      }
    }
  }
  for (std::size_t c = 0; c < service_ms_.size(); ++c) {
    if (weight[c] > 0) service_ms_[c] = sum[c] / weight[c];
  }
}

double Twin::queueing_factor(std::size_t place, double busy_at_one) const {
  // f - inflation(busy_at_one / f) rises with f from f = 1 (inflation >= 1): bisect its root.
  double low = 1;
  double high = 2;
  while (high < 1e9 && high < model_->queueing_inflation(place, busy_at_one / high)) high *= 2;
  for (int i = 0; i < 60; ++i) {
    const double mid = std::sqrt(low * high);
    (mid < model_->queueing_inflation(place, busy_at_one / mid) ? low : high) = mid;
  }
  return high;
}

void Twin::fit_links() {
  // Per pair of places, the calls-weighted mean of (measured - modelled) call latency between
  // single homes there.
  const std::size_t places = space_.place_count();
  std::vector<double> residual(rtt_ms_.size(), 0);
  std::vector<double> weight(rtt_ms_.size(), 0);
  for (const Recent& r : recent_) {
    const ModelDetail d = model_->detail(r.design);
    const std::map<Pair, PairCalls> pairs = pairs_of(r.window);
    for (std::size_t e = 0; e < fitted_.edges.size(); ++e) {
      const EdgeModel& edge = fitted_.edges[e];
      const std::optional<std::size_t> from = single_place(r.design, edge.caller);
      const std::optional<std::size_t> to = single_place(r.design, edge.callee);
      const auto measured = pairs.find({edge.caller, edge.callee});
      if (!from || !to || *from == *to || measured == pairs.end()) continue;
      const double w = measured->second.calls_per_s * r.window.seconds;
      const double r_ms = measured->second.latency_ms() - d.edge_latency_ms[e];
      for (const std::size_t i : {*from * places + *to, *to * places + *from}) {
        residual[i] += w * r_ms;
        weight[i] += w;
      }
    }
  }
  for (std::size_t i = 0; i < rtt_ms_.size(); ++i) {
    if (weight[i] <= 0) continue;
    const double current = fitted_.rtt_ms[i];
    rtt_ms_[i] = std::max(0.0, current + residual[i] / weight[i]);
  }
}

}  // namespace hatch::sim

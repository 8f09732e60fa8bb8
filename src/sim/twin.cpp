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
constexpr double kPriorRttMs = 0.05;  // a link not measured yet, before any is; the least a
                                      // link of one payload size is taken to cost
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
  links_.assign(space_.place_count() * space_.place_count(), Link{});

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
  fitted_.rtt_ms.assign(links_.size(), kPriorRttMs);
  fitted_.bandwidth_mb_per_s.assign(links_.size(), 1e9);
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
  const std::vector<Link> links = links_;
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
    links_ = links;
    fitted_ = fitted;
    if (!recent_.empty()) rebuild();
    throw;
  }
}

std::optional<double> Twin::predict_ms(const Choice& design) const {
  if (!model_) return std::nullopt;
  space_.check(design);
  return std::min(model_->latency_ms(design), payload_model_->latency_ms(design));
}

Choice Twin::best_of_readings(std::uint64_t evaluations, std::uint64_t seed,
                              const std::optional<Choice>& first) const {
  const Choice a = best_of_descents(*model_, space_, evaluations / 2, seed, first).choice;
  const Choice b = best_of_descents(*payload_model_, space_, evaluations / 2, seed, first).choice;
  return *predict_ms(a) <= *predict_ms(b) ? a : b;
}

std::optional<Choice> Twin::best_design(std::uint64_t evaluations, std::uint64_t seed) const {
  if (!model_) return std::nullopt;
  return best_of_readings(evaluations, seed, std::nullopt);
}

std::optional<Choice> Twin::suggest(const Choice& incumbent, double min_gain,
                                    std::uint64_t evaluations, std::uint64_t seed) const {
  if (!model_) return std::nullopt;
  space_.check(incumbent);
  Choice best = best_of_readings(evaluations, seed, incumbent);
  if (!(*predict_ms(best) * (1 + min_gain) < *predict_ms(incumbent))) return std::nullopt;
  return best;
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
  // A link not measured yet is taken to be as fast as the fastest measured ones: optimism, so
  // that a design across it is predicted well and tried, and its window measures the link.
  // A link of one size reads its cost as a round trip at the least cost per KB measured.
  std::optional<double> least_rtt;
  std::optional<double> least_per_kb;
  for (std::size_t i = 0; i < links_.size(); ++i) {
    if (links_[i].rtt_ms < 0 || i / places == i % places) continue;
    least_rtt = std::min(least_rtt.value_or(links_[i].rtt_ms), links_[i].rtt_ms);
    if (!links_[i].one_size)
      least_per_kb = std::min(least_per_kb.value_or(links_[i].ms_per_kb), links_[i].ms_per_kb);
  }
  const Link unknown{least_rtt.value_or(kPriorRttMs), least_per_kb.value_or(0)};
  auto bandwidth = [](double ms_per_kb) { return ms_per_kb > 0 ? 1 / ms_per_kb : 1e9; };
  for (std::size_t i = 0; i < links_.size(); ++i) {
    Link link = links_[i].rtt_ms >= 0 ? links_[i] : unknown;
    if (link.one_size) {
      link.ms_per_kb = std::min(unknown.ms_per_kb, link.kb > 0 ? link.cost_ms / link.kb : 0);
      link.rtt_ms = std::max(0.0, link.cost_ms - link.ms_per_kb * link.kb);
    }
    // The model charges bytes / (MB/s * 1e3) ms.
    fitted_.rtt_ms[i] = link.rtt_ms;
    fitted_.bandwidth_mb_per_s[i] = bandwidth(link.ms_per_kb);
  }
  for (std::size_t c = 0; c < service_ms_.size(); ++c) {
    fitted_.components[c].read_ms = fitted_.components[c].write_ms = service_ms_[c];
  }
  validate(fitted_);
  model_ = std::make_unique<LatencyModel>(fitted_, fitted_.workload, space_);
  Scenario payload_reading = fitted_;
  for (std::size_t i = 0; i < links_.size(); ++i) {
    if (!links_[i].one_size) continue;
    payload_reading.rtt_ms[i] = links_[i].rtt_ms;
    payload_reading.bandwidth_mb_per_s[i] = bandwidth(links_[i].ms_per_kb);
  }
  validate(payload_reading);
  payload_model_ = std::make_unique<LatencyModel>(payload_reading, fitted_.workload, space_);
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
  // Per pair of places, what each measured call between single homes there says the link
  // costs: the link's modelled cost at that call's payload plus the call's residual (measured
  // less modelled latency). A line through those costs against payload gives the round trip
  // and the cost per KB.
  struct Fit {
    double w = 0, wb = 0, wbb = 0, wt = 0, wbt = 0;
    double least_kb = 0, most_kb = 0;
  };
  const std::size_t places = space_.place_count();
  std::vector<Fit> fits(links_.size());
  for (const Recent& r : recent_) {
    const ModelDetail d = model_->detail(r.design);
    const std::map<Pair, PairCalls> pairs = pairs_of(r.window);
    for (std::size_t e = 0; e < fitted_.edges.size(); ++e) {
      const EdgeModel& edge = fitted_.edges[e];
      const std::optional<std::size_t> from = single_place(r.design, edge.caller);
      const std::optional<std::size_t> to = single_place(r.design, edge.callee);
      const auto measured = pairs.find({edge.caller, edge.callee});
      if (!from || !to || *from == *to || measured == pairs.end()) continue;
      const std::size_t i = *from * places + *to;
      const double kb = (edge.request_bytes + edge.response_bytes) / 1e3;
      const double cost = fitted_.rtt_ms[i] + kb / fitted_.bandwidth_mb_per_s[i] +
                          measured->second.latency_ms() - d.edge_latency_ms[e];
      const double w = measured->second.calls_per_s * r.window.seconds;
      for (const std::size_t link : {i, *to * places + *from}) {
        Fit& f = fits[link];
        f.least_kb = f.w > 0 ? std::min(f.least_kb, kb) : kb;
        f.most_kb = f.w > 0 ? std::max(f.most_kb, kb) : kb;
        f.w += w;
        f.wb += w * kb;
        f.wbb += w * kb * kb;
        f.wt += w * cost;
        f.wbt += w * kb * cost;
      }
    }
  }
  for (std::size_t i = 0; i < links_.size(); ++i) {
    const Fit& f = fits[i];
    if (!(f.w > 0)) continue;
    const double mean_kb = f.wb / f.w;
    const double mean_cost = std::max(0.0, f.wt / f.w);
    const double spread = f.wbb / f.w - mean_kb * mean_kb;
    const bool one_size = !(f.most_kb > 1.5 * f.least_kb && spread > 0);
    // Least squares; for one size, the payload reading: the least round trip that fits.
    double per_kb = !one_size     ? (f.wbt / f.w - mean_kb * mean_cost) / spread
                    : mean_kb > 0 ? (mean_cost - std::min(mean_cost, kPriorRttMs)) / mean_kb
                                  : 0;
    per_kb = std::clamp(per_kb, 0.0, mean_kb > 0 ? mean_cost / mean_kb : 0.0);
    links_[i] = {std::max(0.0, mean_cost - per_kb * mean_kb), per_kb, one_size, mean_kb, mean_cost};
  }
}

}  // namespace hatch::sim

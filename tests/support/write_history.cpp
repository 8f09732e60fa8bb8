#include "write_history.hpp"

#include <iostream>

namespace hatch::test {

Outcome outcome_of(StatusCode code) {
  switch (code) {
    case StatusCode::ok:
      return Outcome::acked;
    case StatusCode::unavailable:
    case StatusCode::unknown_component:
    case StatusCode::overloaded:
    case StatusCode::resource_exhausted:
      return Outcome::not_run;
    default:
      return Outcome::unknown;
  }
}

bool expected_failure(StatusCode code) {
  return code == StatusCode::deadline_exceeded || code == StatusCode::connection_lost ||
         outcome_of(code) == Outcome::not_run;
}

std::string KeyWrites::check(std::int64_t value, bool complete) const {
  const auto bits = static_cast<std::uint64_t>(value);
  const std::string shown = " (value " + std::to_string(value) + ")";
  if (value < 0 || bits >> (2 * writes_.size()) != 0) {
    return "holds a write that was never sent" + shown;
  }
  for (std::size_t j = 0; j < writes_.size(); ++j) {
    const std::uint64_t times = (bits >> (2 * j)) & 3;
    const std::string write = "write " + std::to_string(j);
    if (times > 1) return write + " was applied " + std::to_string(times) + " times" + shown;
    if (times == 1 && writes_[j] == Outcome::not_run) {
      return write + " ran although its call said it did not" + shown;
    }
    if (times == 0 && complete && writes_[j] == Outcome::acked) {
      return "acknowledged " + write + " is missing" + shown;
    }
  }
  return "";
}

void JournalWrites::record(std::uint64_t id, Outcome outcome) {
  ids_[id] = outcome;
  if (outcome == Outcome::acked) ++acked_;
}

void JournalWrites::merge(const JournalWrites& other) {
  for (const auto& [id, outcome] : other.ids_) record(id, outcome);
}

std::uint64_t JournalWrites::count(Outcome outcome) const {
  std::uint64_t n = 0;
  for (const auto& [id, o] : ids_) n += o == outcome ? 1 : 0;
  return n;
}

std::string JournalWrites::check(const std::map<std::uint64_t, std::uint64_t>& entries) const {
  constexpr int kListed = 5;
  std::string listed;
  int wrong = 0;
  auto note = [&](std::uint64_t id, const std::string& what) {
    if (++wrong <= kListed) listed += "entry " + std::to_string(id) + " " + what + "; ";
  };
  for (const auto& [id, times] : entries) {
    auto it = ids_.find(id);
    if (it == ids_.end()) {
      note(id, "was never written");
    } else if (times > 1) {
      note(id, "was applied " + std::to_string(times) + " times");
    } else if (it->second == Outcome::not_run) {
      note(id, "ran although its call said it did not");
    }
  }
  int missing = 0;
  for (const auto& [id, outcome] : ids_) {
    if (outcome != Outcome::acked || entries.count(id) != 0) continue;
    ++missing;
    note(id, "was acknowledged and is missing");
  }
  if (wrong == 0) return "";
  return listed + std::to_string(wrong) + " wrong in all (" + std::to_string(missing) +
         " acknowledged entries missing of " + std::to_string(acked_) + ")";
}

void Anomalies::add(const std::string& what) {
  std::cerr << "ANOMALY: " << what << std::endl;
  std::lock_guard lock(mu_);
  found_.push_back(what);
}

std::size_t Anomalies::count() const {
  std::lock_guard lock(mu_);
  return found_.size();
}

std::string Anomalies::first(std::size_t n) const {
  std::lock_guard lock(mu_);
  std::string out;
  for (std::size_t i = 0; i < found_.size() && i < n; ++i) out += found_[i] + "\n";
  return out;
}

}  // namespace hatch::test

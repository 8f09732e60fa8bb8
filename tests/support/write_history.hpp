// What the writes of a fault campaign did, and what the states they leave must therefore hold.
//
// Every write can be told apart from every other in the state it lands in:
//   - a journal entry (Journal::append) carries an id no other write uses;
//   - a counter write (Ledger::add, Counts::add) is the j-th write to a key that one thread
//     owns, and adds 4^j: the key's value holds each write's multiplicity in a 2-bit field of
//     its own, so a write applied twice shows as a 2 in its field, not as another write.
// What a call answered says what its write may have done:
//   - acknowledged (the call returned): in the state exactly once;
//   - unknown (deadline_exceeded, connection_lost: it may have run): at most once;
//   - not run (unavailable, unknown_component, overloaded, resource_exhausted): never.
// A state that breaks one of these is an anomaly, and so is a failure the campaign does not
// expect (an application error, a bad request, ...).
//
//   KeyWrites key;
//   const std::int64_t after = counts->add("t0-0", key.next_delta());
//   key.record(Outcome::acked);
//   if (std::string wrong = key.check(after, true); !wrong.empty()) anomalies.add(wrong);
//
// Thread safety: KeyWrites and JournalWrites belong to one thread at a time; Anomalies may be
// used from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "hatch/error.hpp"

namespace hatch::test {

enum class Outcome : std::uint8_t { acked, unknown, not_run };

// What a call that failed with `code` may have done. Codes the campaign never expects are
// taken as unknown; `expected_failure` tells them apart.
Outcome outcome_of(StatusCode code);
bool expected_failure(StatusCode code);

// One key's writes, in the order its one writer sent them: write j added 4^j.
class KeyWrites {
 public:
  // 31 two-bit fields fit in a positive int64.
  static constexpr std::size_t kMaxWrites = 31;

  bool full() const { return writes_.size() == kMaxWrites; }
  // What the next write adds.
  std::int64_t next_delta() const { return std::int64_t{1} << (2 * writes_.size()); }
  void record(Outcome outcome) { writes_.push_back(outcome); }
  std::size_t size() const { return writes_.size(); }

  // What is wrong with `value` as the key's state after every recorded write was sent, or ""
  // when nothing is: a write applied more than once, one whose call said it did not run, a
  // write never sent, or, when `complete`, an acknowledged write that is missing. Whatever
  // answers for the key's one copy is complete; a replica may be stale (a backup its primary
  // dropped serves reads until the origin takes it out).
  std::string check(std::int64_t value, bool complete) const;

 private:
  std::vector<Outcome> writes_;
};

// A journal's appends, by id.
class JournalWrites {
 public:
  void record(std::uint64_t id, Outcome outcome);
  // Adds another writer's appends to the same journal (their ids differ).
  void merge(const JournalWrites& other);
  std::uint64_t acked() const { return acked_; }
  std::uint64_t count(Outcome outcome) const;

  // What is wrong with `entries` (id -> times appended) as the journal's whole state, or ""
  // when nothing is: an id appended more than once, never written, or said not to have run,
  // and every acknowledged id that is missing (listed up to a few, then counted).
  std::string check(const std::map<std::uint64_t, std::uint64_t>& entries) const;

 private:
  std::unordered_map<std::uint64_t, Outcome> ids_;
  std::uint64_t acked_ = 0;
};

// Every anomaly a campaign found. Each is printed to standard error as it is found, so a
// failing run shows what went wrong and when, next to the runtime's log.
class Anomalies {
 public:
  void add(const std::string& what);
  std::size_t count() const;
  // The first `n` anomalies, one a line.
  std::string first(std::size_t n) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> found_;  // guarded by mu_
};

}  // namespace hatch::test

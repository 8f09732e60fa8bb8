// What the learner has measured of whole designs in the current environment: per design, the
// running mean of its window values, how often it ran and the length of its last window. The
// learner compares designs only through this memory, so that a design measured twice counts
// twice, and clears it when the environment shifts.
#pragma once

#include <cstdint>
#include <map>

#include "design/design_space.hpp"
#include "learn/arm_stats.hpp"

namespace hatch {

struct DesignRecord {
  ArmStats value;
  double last_seconds = 0;
};

class DesignMemory {
 public:
  // Records one window of `seconds` in which `choice` earned `value`; returns the record as it
  // was before, so that a caller can compare a repeat with the earlier runs.
  DesignRecord add(const Choice& choice, double value, double seconds);
  // Null if the design has not run since the last clear().
  const DesignRecord* find(const Choice& choice) const;
  // Puts back a record that an earlier memory held (Learner::restore), replacing any other.
  void set(const Choice& choice, const DesignRecord& record) { records_[choice] = record; }
  void clear() { records_.clear(); }
  std::size_t size() const { return records_.size(); }
  // Every record, in the order of the choices.
  const std::map<Choice, DesignRecord>& records() const { return records_; }

 private:
  std::map<Choice, DesignRecord> records_;
};

}  // namespace hatch

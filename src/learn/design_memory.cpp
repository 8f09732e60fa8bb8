#include "learn/design_memory.hpp"

namespace hatch {

DesignRecord DesignMemory::add(const Choice& choice, double value, double seconds) {
  DesignRecord& record = records_[choice];
  const DesignRecord before = record;
  record.value.add(value);
  record.last_seconds = seconds;
  return before;
}

const DesignRecord* DesignMemory::find(const Choice& choice) const {
  const auto it = records_.find(choice);
  return it == records_.end() ? nullptr : &it->second;
}

}  // namespace hatch

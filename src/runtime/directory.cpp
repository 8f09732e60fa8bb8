#include "runtime/directory.hpp"

#include <thread>

#include "hatch/error.hpp"
#include "hatch/placement_rule.hpp"

namespace hatch::runtime {

Directory::Directory(const Catalog& catalog, std::map<std::string, std::string> placements,
                     std::shared_ptr<internal::CallMeter> meter, std::chrono::milliseconds wait)
    : catalog_(catalog), placements_(std::move(placements)), meter_(std::move(meter)), wait_(wait) {
  for (const auto& [name, where] : placements_) {
    catalog_.require(name, "the placement " + name + "=" + where);
  }
}

std::shared_ptr<BindingCell> Directory::resolve(const std::string& name, const Create& create) {
  MutexLock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + wait_;
  for (;;) {
    auto it = records_.find(name);
    if (it == records_.end()) {
      const ComponentRecord record = add(name);
      lock.unlock();
      try {
        create(name, record);
      } catch (...) {
        lock.lock();
        records_.erase(name);
        created_.notify_all();
        throw;
      }
      lock.lock();
      records_[name].ready = true;
      created_.notify_all();
      return record.cell;
    }
    if (it->second.ready) return it->second.cell;
    if (it->second.creator == std::this_thread::get_id()) {
      throw UsageError("dependency cycle: component '" + name +
                       "' needs itself while it is created");
    }
    if (created_.wait_until(lock, deadline) == std::cv_status::timeout) {
      throw UsageError("component '" + name +
                       "' is still being created; is there a dependency cycle across hosts?");
    }
  }
}

ComponentRecord Directory::add(const std::string& name) {
  const ComponentEntry* component = catalog_.find(name);
  if (component == nullptr) {
    throw UsageError("no component named '" + name +
                     "' is registered; registered: " + catalog_.names_line());
  }
  ComponentRecord record;
  record.id = next_id_++;
  record.component = component;
  record.cell = std::make_shared<BindingCell>(name, component->interface->name, meter_);
  if (auto placed = placements_.find(name); placed != placements_.end()) {
    try {
      record.placement = Placement::parse(placed->second);
      PlacementRule::of(*component).check(record.placement);
    } catch (const UsageError& bad) {
      throw UsageError("the placement of '" + name + "': " + bad.what());
    }
  }
  record.creator = std::this_thread::get_id();
  records_[name] = record;
  return record;
}

ComponentRecord Directory::record(const std::string& name) const {
  MutexLock lock(mu_);
  auto it = records_.find(name);
  if (it == records_.end()) throw UsageError("no component named '" + name + "' was created");
  return it->second;
}

std::optional<std::string> Directory::name_of(std::uint32_t id) const {
  MutexLock lock(mu_);
  for (const auto& [name, record] : records_) {
    if (record.id == id) return name;
  }
  return std::nullopt;
}

void Directory::commit(const std::string& name, const ComponentRecord& next) {
  MutexLock lock(mu_);
  ComponentRecord& record = records_.at(name);
  record.id = next.id;
  record.placement = next.placement;
}

std::uint32_t Directory::new_id() {
  MutexLock lock(mu_);
  return next_id_++;
}

Design Directory::placements() const {
  MutexLock lock(mu_);
  Design design;
  for (const auto& [name, record] : records_) {
    if (record.ready) design[name] = record.placement;
  }
  return design;
}

}  // namespace hatch::runtime

// The origin's directory: every component created so far, its id, its placement and the
// origin's ref cell for it. Components are created on first use; a component that needs
// another while it is created waits for it, and one that needs itself is a cycle.
//
// Thread safety: every member may be called from any thread. Creation runs outside the lock,
// so a component's constructor may resolve its dependencies.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "hatch/catalog.hpp"
#include "hatch/internal/call_meter.hpp"
#include "hatch/internal/mutex.hpp"
#include "hatch/placement.hpp"
#include "runtime/transition.hpp"

namespace hatch::runtime {

class Directory {
 public:
  // Creates a component's instances and binds its cell (create_component); may throw.
  using Create = std::function<void(const std::string& name, const ComponentRecord& record)>;

  // `catalog` must outlive the directory. `placements` are the configured placements, as
  // Placement::parse reads them; `wait` bounds how long a resolve waits for a component that
  // another thread is creating.
  Directory(const Catalog& catalog, std::map<std::string, std::string> placements,
            std::shared_ptr<internal::CallMeter> meter, std::chrono::milliseconds wait);

  // The cell of `name`, creating the component with `create` if it does not exist yet.
  // Throws UsageError for an unknown name, a bad configured placement or a cycle.
  std::shared_ptr<BindingCell> resolve(const std::string& name, const Create& create);

  // The record of a created component. Throws UsageError when there is none.
  [[nodiscard]] ComponentRecord record(const std::string& name) const;
  // The name of the created component whose current id is `id`, if any.
  std::optional<std::string> name_of(std::uint32_t id) const;
  // Records that `name` now has `next`'s id and placement.
  void commit(const std::string& name, const ComponentRecord& next);
  std::uint32_t new_id();
  Design placements() const;

 private:
  // Records a component about to be created by this thread, with a new id and its configured
  // placement. Throws UsageError for an unknown name or a bad placement.
  ComponentRecord add(const std::string& name) HATCH_REQUIRES(mu_);

  const Catalog& catalog_;
  const std::map<std::string, std::string> placements_;
  const std::shared_ptr<internal::CallMeter> meter_;
  const std::chrono::milliseconds wait_;
  mutable Mutex mu_;
  std::condition_variable_any created_;
  std::map<std::string, ComponentRecord> records_ HATCH_GUARDED_BY(mu_);
  std::uint32_t next_id_ HATCH_GUARDED_BY(mu_) = 1;
};

}  // namespace hatch::runtime

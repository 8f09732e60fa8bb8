#include "hatch/catalog.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "hatch/error.hpp"

namespace hatch {

namespace {

// The program's catalog. It is written only during static initialization, by
// HATCH_COMPONENT, and read-only from main() on (see docs/decisions.md).
Catalog& program_catalog() {
  static Catalog catalog;
  return catalog;
}

}  // namespace

const Catalog& Catalog::program() {
  return program_catalog();
}

bool Catalog::register_component(ComponentEntry entry) {
  program_catalog().add(std::move(entry));
  return true;
}

void Catalog::add(ComponentEntry entry) {
  if (find(entry.name) != nullptr) {
    std::fprintf(stderr, "hatch: two components are registered as '%s'; names must be unique\n",
                 entry.name.c_str());
    std::abort();
  }
  components_.push_back(std::move(entry));
}

const ComponentEntry* Catalog::find(std::string_view name) const {
  auto it = std::find_if(components_.begin(), components_.end(),
                         [&](const ComponentEntry& e) { return e.name == name; });
  return it == components_.end() ? nullptr : &*it;
}

std::vector<std::string> Catalog::names() const {
  std::vector<std::string> out;
  for (const ComponentEntry& e : components_) out.push_back(e.name);
  std::sort(out.begin(), out.end());
  return out;
}

std::string method_label(const InterfaceEntry& interface, std::uint32_t method) {
  std::string name(interface.name);
  name += "::";
  name += method < interface.methods.size() ? std::string(interface.methods[method].name)
                                            : "#" + std::to_string(method);
  return name;
}

std::string Catalog::names_line() const {
  std::string out;
  for (const std::string& n : names()) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

void Catalog::require(std::string_view name, std::string_view what) const {
  if (find(name) != nullptr) return;
  throw UsageError(std::string(what) + " names '" + std::string(name) +
                   "', which is no component of this program; its components: " + names_line());
}

}  // namespace hatch

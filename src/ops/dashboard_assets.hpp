// The dashboard's page, style sheet and script (src/ops/dashboard/), compiled into the binary
// so that a process serves them without files beside it and fetches nothing from elsewhere.
// The definitions are generated at build time by src/ops/embed_assets.cmake.
#pragma once

#include <span>
#include <string_view>

namespace hatch::ops {

struct DashboardAsset {
  std::string_view path;          // "/index.html", "/dashboard.css", "/dashboard.js"
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view bytes;
};

std::span<const DashboardAsset> dashboard_assets();

}  // namespace hatch::ops

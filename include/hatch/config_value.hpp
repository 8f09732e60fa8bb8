// Configuration values handed to components through their Context.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>

namespace hatch {

using ConfigValue = std::variant<bool, std::int64_t, double, std::string>;
using ConfigMap = std::map<std::string, ConfigValue>;

// "true", "42", "0.5", "text": how a value reads in logs and errors.
std::string to_string(const ConfigValue& value);

}  // namespace hatch

// Fuzzes the program's configuration file as App reads it (hatch/app.hpp, load_config_text): TOML
// text into Options, the autopilot's [learn] settings and its nodes. Reading the text reads no
// other file: the secret file it names is only returned.
//
// Properties, beyond no crash, no undefined behaviour and no leak:
// - the text is accepted, or refused with a UsageError (the contract App reports to its user);
// - what is accepted is usable: a positive call timeout, 2 to 1024 I/O threads, learn settings
//   that pass AutopilotOptions::check, and pins that print as placements that parse back to
//   themselves.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "hatch/app.hpp"
#include "hatch/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hatch;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Options options;
  AutopilotOptions learn;
  try {
    (void)load_config_text(text, "/fuzz/hatch.toml", options, learn);
  } catch (const UsageError&) {
    return 0;
  } catch (...) {
    fuzz::check(false, "a configuration is accepted or refused with a UsageError");
  }
  fuzz::check(options.call_timeout.count() > 0, "an accepted call timeout is positive");
  fuzz::check(options.io_threads >= 2 && options.io_threads <= 1024,
              "an accepted count of I/O threads lies between 2 and 1024");
  AutopilotOptions settings = learn;
  settings.enabled = false;  // nodes may still come from the command line
  try {
    settings.check();
  } catch (const UsageError&) {
    fuzz::check(false, "accepted learn settings pass their own check");
  }
  for (const auto& [component, pin] : learn.pins) {
    fuzz::check(Placement::parse(pin.to_string()) == pin,
                "a pinned placement prints as text that parses back to it");
  }
  return 0;
}

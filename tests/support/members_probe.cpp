#include "members_probe.hpp"

#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "hatch/hatch.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {

namespace {

constexpr const char* kFlag = "--members-probe";

int run_probe(int argc, char** argv) {
  const ParsedFlags flags = parse_flags(argc, argv);
  configure_logging(flags.log_level);
  Origin origin(Catalog::program(), flags.options);
  const std::vector<std::string> members = origin.members();
  for (const std::string& member : members) std::cout << "member " << member << std::endl;
  Ref<Echo> echo = origin.get<Echo>("echo");
  for (const std::string& member : members) {
    const TransitionReport moved = origin.relocate("echo", member);
    if (!moved.ok)
      throw std::runtime_error("cannot move echo to " + member + ": " + moved.to_string());
    std::cout << "echo on " << member << " answers from " << echo->where() << std::endl;
  }
  origin.stop();
  std::cout << "members probe done" << std::endl;
  return 0;
}

}  // namespace

int run_members_probe_if_asked(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], kFlag) != 0) continue;
    try {
      return run_probe(argc, argv);  // parse_flags leaves the flag to the program's own
    } catch (const std::exception& e) {
      std::cout << "members probe failed: " << e.what() << std::endl;
      return 1;
    }
  }
  return -1;
}

}  // namespace hatch::test

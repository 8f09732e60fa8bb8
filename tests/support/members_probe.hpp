// An origin in a process of its own, for a test that runs it somewhere else than the test does
// (in a network namespace, with a hosts file of its own through `ip netns exec`): this test
// binary, started with --members-probe and the origin's Hatch flags (--hatch-nodes,
// --hatch-secret-file, ...), makes the origin and prints, one a line on standard output,
//
//   member HOST:PORT          each of Origin::members(), as found when the origin is made
//   echo on HOST:PORT answers from WHERE
//                             after moving component "echo" there, what Echo::where() says
//   members probe done
//
// then exits 0; on an error it prints "members probe failed: WHAT" and exits 1.
#pragma once

namespace hatch::test {

// If argv asks for the probe, runs it and returns its exit status; else returns -1.
int run_members_probe_if_asked(int argc, char** argv);

}  // namespace hatch::test

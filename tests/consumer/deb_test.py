#!/usr/bin/env python3
"""The Debian package: `cpack -G DEB` in the build makes one, and it holds what a user needs.

Runs cpack on the build's configuration into a temporary directory, then reads the package with
dpkg-deb: its file list must hold the public headers, the static libraries, the CMake package
(config, version and targets files) and the `hatch` tool, under /usr; its Depends must name the
Debian packages the libraries link, and none that only the tests or benchmarks use.

Usage: deb_test.py BUILD_DIR
Exit status: 0 when every check passes, 1 with the reason when one fails, 77 when dpkg-deb is
missing (ctest's SKIP_RETURN_CODE: it never passes without having run).
"""

import glob
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
PATIENCE_S = 600
EXPECTED_FILES = [
    "./usr/bin/hatch",
    "./usr/include/hatch/hatch.hpp",
    "./usr/include/hatch/component.hpp",
    "./usr/include/hatch/internal/codec.hpp",
    "./usr/lib/libhatch.a",
    "./usr/lib/libhatch_runtime.a",
    "./usr/lib/cmake/hatch/hatchConfig.cmake",
    "./usr/lib/cmake/hatch/hatchConfigVersion.cmake",
    "./usr/lib/cmake/hatch/hatchTargets.cmake",
]
EXPECTED_DEPENDS = ["libboost-dev", "libmsgpack-cxx-dev", "libspdlog-dev", "libssl-dev",
                    "libtomlplusplus-dev", "prometheus-cpp-dev"]
TEST_ONLY_DEPENDS = ["libgtest", "libgmock", "libbenchmark", "nlohmann"]


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def run(command):
    done = subprocess.run(command, capture_output=True, text=True, timeout=PATIENCE_S)
    if done.returncode != 0:
        fail(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def main():
    if len(sys.argv) != 2:
        fail("usage: deb_test.py BUILD_DIR")
    if shutil.which("dpkg-deb") is None:
        print("SKIPPED: dpkg-deb is not installed, so the package cannot be read")
        sys.exit(SKIP)
    build = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="hatch-deb-") as out:
        run(["cpack", "-G", "DEB", "-B", out, "--config", f"{build}/CPackConfig.cmake"])
        packages = glob.glob(f"{out}/*.deb")
        if len(packages) != 1:
            fail(f"cpack made {packages}, expected one .deb")
        package = packages[0]
        listed = {line.split()[-1] for line in run(["dpkg-deb", "-c", package]).splitlines()}
        missing = [f for f in EXPECTED_FILES if f not in listed]
        if missing:
            fail(f"{package} lacks {missing}; it holds {sorted(listed)}")
        depends = run(["dpkg-deb", "-f", package, "Depends"])
        for name in EXPECTED_DEPENDS:
            if name not in depends:
                fail(f"the package's Depends ({depends.strip()}) lacks {name}")
        for name in TEST_ONLY_DEPENDS:
            if name in depends:
                fail(f"the package's Depends ({depends.strip()}) names {name}, which only the "
                     "tests or benchmarks use")
        print(f"deb test: {package.rsplit('/', 1)[-1]} holds {len(listed)} entries, among them "
              f"the headers, libraries, CMake package and hatch tool")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A new project, as docs/guide.md "Starting a new project" writes it, against an installed Hatch.

Installs the build into a temporary prefix (`cmake --install`), takes the section's files word
for word from the guide (each fenced block whose first line names its file), configures and builds
them with `find_package(hatch)` while GoogleTest, Google Benchmark and nlohmann-json are kept out
of that build's reach, then runs the program: two nodes from its own binary and the origin with
the greeter replicated over them. Checks that every greeting came back, from both nodes, and
that without a placement the greeter answers from the origin.

Usage: consumer_test.py BUILD_DIR GUIDE
Exit status: 0 when every check passes, 1 with the reason when one fails.
"""

import os
import re
import selectors
import signal
import subprocess
import sys
import tempfile

SECTION = "## Starting a new project"
NAMES = ["ada", "alan", "grace", "edsger"]
# Bounds, so that a broken build or a silent node fails the test instead of hanging it.
BUILD_PATIENCE_S = 600
READY_PATIENCE_S = 60
RUN_PATIENCE_S = 120


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def run(command, cwd=None, patience=BUILD_PATIENCE_S):
    """Runs `command`; exits with its output when it fails."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=patience)
    if done.returncode != 0:
        fail(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def guide_files(guide):
    """{file name: text} of the section's fenced blocks whose first line is `# F` or `// F`."""
    text = open(guide, encoding="utf-8").read()
    start = text.find(SECTION + "\n")
    if start < 0:
        fail(f"{guide} has no section '{SECTION}'")
    end = text.find("\n## ", start + len(SECTION))
    section = text[start:end if end >= 0 else len(text)]
    files = {}
    for block in re.findall(r"^```(?:cmake|cpp)\n(.*?)^```$", section, re.S | re.M):
        first = block.split("\n", 1)[0]
        named = re.fullmatch(r"(?:#|//) ([\w.]+\.(?:txt|hpp|cpp))", first)
        if named:
            files[named.group(1)] = block
    wanted = {"CMakeLists.txt", "greeter.hpp", "greeter.cpp", "main.cpp"}
    if set(files) != wanted:
        fail(f"the guide's section names files {sorted(files)}, expected {sorted(wanted)}")
    return files


class Node:
    """A node of the program's own binary on a free loopback port; stopped by stop()."""

    def __init__(self, binary, secret, log):
        self.log = log
        with open(log, "w") as err:
            self.process = subprocess.Popen(
                [binary, "--hatch-node", "127.0.0.1:0", "--hatch-secret-file", secret],
                stdout=subprocess.PIPE, stderr=err, text=True)
        self.address = None

    def wait_ready(self):
        """Reads the ready line, `hatch node listening on HOST:PORT`, and keeps the address."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout=READY_PATIENCE_S):
                fail(f"a node printed no ready line in {READY_PATIENCE_S} s")
        line = self.process.stdout.readline()
        ready = re.fullmatch(r"hatch node listening on (127\.0\.0\.1:\d+)\n", line)
        if not ready:
            self.process.kill()
            self.process.wait()
            fail(f"a node's first line was {line!r}; its log: {open(self.log).read()}")
        self.address = ready.group(1)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=READY_PATIENCE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def greet(binary, secret, place=None):
    """The origin's output lines, placing the greeter at `place` if given."""
    command = [binary, "--hatch-secret-file", secret]
    if place:
        command += ["--hatch-place", f"greeter={place}"]
    return run(command, patience=RUN_PATIENCE_S).splitlines()


def check_greetings(lines, binding, hosts):
    """The binding line, then one greeting per name, each from one of `hosts`; returns the set."""
    if not lines or lines[0] != f"greeter: {binding}":
        fail(f"expected 'greeter: {binding}' first, got {lines}")
    answered = set()
    for name, line in zip(NAMES, lines[1:]):
        greeting = re.fullmatch(rf"hello, {name}, from (\S+)", line)
        if not greeting or greeting.group(1) not in hosts:
            fail(f"expected 'hello, {name}, from' one of {sorted(hosts)}, got {line!r}")
        answered.add(greeting.group(1))
    if len(lines) != 1 + len(NAMES):
        fail(f"expected {1 + len(NAMES)} lines, got {lines}")
    return answered


def main():
    if len(sys.argv) != 3:
        fail("usage: consumer_test.py BUILD_DIR GUIDE")
    build, guide = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="hatch-consumer-") as tmp:
        prefix = os.path.join(tmp, "prefix")
        run(["cmake", "--install", build, "--prefix", prefix])
        config_dir = os.path.join(prefix, "lib", "cmake", "hatch")
        for name in sorted(os.listdir(config_dir)):
            text = open(os.path.join(config_dir, name), encoding="utf-8").read()
            for test_only in ("GTest", "benchmark::", "nlohmann"):
                if test_only in text:
                    fail(f"the installed {name} refers to {test_only}, which a program needs not")

        project = os.path.join(tmp, "greeter")
        os.mkdir(project)
        for name, text in guide_files(guide).items():
            with open(os.path.join(project, name), "w", encoding="utf-8") as out:
                out.write(text)
        # The guide's build commands, with the test-only packages made unfindable.
        run(["cmake", "-S", ".", "-B", "build", "-G", "Ninja", f"-DCMAKE_PREFIX_PATH={prefix}",
             "-DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON",
             "-DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON",
             "-DCMAKE_DISABLE_FIND_PACKAGE_nlohmann_json=ON"], cwd=project)
        run(["cmake", "--build", "build"], cwd=project)
        binary = os.path.join(project, "build", "greeter")

        secret = os.path.join(tmp, "secret")
        with os.fdopen(os.open(secret, os.O_WRONLY | os.O_CREAT, 0o600), "w") as out:
            out.write("a-consumer-test-secret-of-32-bytes\n")

        check_greetings(greet(binary, secret), "local", {"origin"})
        nodes = [Node(binary, secret, os.path.join(tmp, f"node{i}.log")) for i in range(2)]
        try:
            for node in nodes:
                node.wait_ready()
            a, b = nodes[0].address, nodes[1].address
            answered = check_greetings(greet(binary, secret, f"replicated{{{a},{b}}}"),
                                       f"replicated({a},{b})", {a, b})
            if answered != {a, b}:
                fail(f"only {sorted(answered)} answered; the calls should spread over {a} and {b}")
        finally:
            for node in nodes:
                node.stop()
        for node in nodes:
            if node.process.returncode != 0:
                fail(f"node {node.address} exited {node.process.returncode} on SIGTERM")
    print("consumer test: installed, built the guide's project with find_package(hatch), and ran "
          "it on two nodes")


if __name__ == "__main__":
    main()

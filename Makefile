# The commands that do everything on a fresh machine. Each one installs what is missing and
# builds first.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all setup build test demo bench fuzz clean

all: build

setup:
	bash scripts/setup

$(BUILD)/build.ninja: | setup
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: build
	bash scripts/test $(BUILD)

# The demo needs only the web server, so it builds only that: a fresh clone runs it sooner.
demo: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target webserver
	bash scripts/demo $(BUILD)

bench: build
	bash scripts/bench $(BUILD)

# The libFuzzer harnesses, FUZZ_SECONDS (default 60) each, in their own clang build.
fuzz: setup
	bash scripts/fuzz timed $(BUILD)-fuzz

clean:
	rm -rf $(BUILD)

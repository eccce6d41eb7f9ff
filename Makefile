# Quasar: thin wrapper over meson/ninja.  `make run` and `make check` work
# on a fresh Debian 12 machine: they install what is missing first.
BUILD ?= build
NINJA ?= ninja

.PHONY: all deps build check run install clean

all: build

deps:
	@scripts/setup-deps.sh

$(BUILD)/build.ninja:
	@scripts/setup-deps.sh
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	$(NINJA) -C $(BUILD)

check: build
	@scripts/setup-deps.sh --tests
	@scripts/run-tests.sh

run: build
	@scripts/run.sh

install: build
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD)

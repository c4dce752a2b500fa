# Aether: `make run` and `make test` on a fresh Debian 12 machine with Swift 6.3.
# Both install what is missing (Debian packages through apt-get, as root or with sudo), build, and run.

SWIFT        ?= swift
APT_PACKAGES := pkg-config librocksdb-dev libsodium-dev libsecp256k1-dev libssl-dev libisal-dev
SOURCES      := Package.swift L1 AppChains Bridge Channels Deploy Tests
RUN_ARGS     ?= localnet --validators 4

.PHONY: run test build build-release deps lint check-purity bench fuzz clean help

help:
	@echo "make run    - install what is missing, build, run the main job (aether $(RUN_ARGS))"
	@echo "make test   - install what is missing, build, run every test, lint and purity checks"
	@echo "make bench  - the primitives benchmark (aether bench primitives)"
	@echo "make fuzz   - run the libFuzzer targets (FUZZ_RUNS executions each)"

# Installs the Debian packages that are not installed yet; does nothing when all are present.
deps:
	@command -v $(SWIFT) >/dev/null 2>&1 || { echo "error: Swift 6.3 is required (https://www.swift.org/install/linux/)"; exit 1; }
	@missing=""; for p in $(APT_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    if [ "$$(id -u)" = 0 ]; then sudo=""; \
	    elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	    else echo "error: missing packages:$$missing (run as root or install sudo)"; exit 1; fi; \
	    $$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q $$missing; \
	fi

build-release: deps
	$(SWIFT) build -c release --product aether

run: build-release
	.build/release/aether $(RUN_ARGS)

bench: build-release
	.build/release/aether bench primitives

build: deps
	$(SWIFT) build --build-tests

lint:
	$(SWIFT) format lint --strict --recursive $(SOURCES)

check-purity:
	Deploy/Scripts/check-purity.sh --self-test
	Deploy/Scripts/check-purity.sh

test: deps lint check-purity build
	$(SWIFT) test --skip-build

fuzz: deps
	Deploy/Scripts/fuzz.sh $(FUZZ_RUNS)

clean:
	rm -rf .build

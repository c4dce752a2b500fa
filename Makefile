# Aether: `make run` and `make test` on a fresh Debian 12 machine with Swift 6.3.
# Both install what is missing (Debian packages through apt-get, as root or with sudo), build, and run.

SWIFT        ?= swift
APT_PACKAGES := pkg-config librocksdb-dev libsodium-dev libsecp256k1-dev libssl-dev libisal-dev python3 python3-venv
SOURCES      := Package.swift L1 AppChains Bridge Channels Deploy Tests
RUN_ARGS     ?= localnet --validators 4
PYTHON       ?= python3
PEERS_VENV   := .build/peers-venv
PEERS_STAMP  := $(PEERS_VENV)/.installed

.PHONY: run test build build-release deps peers peers-check contracts-check contract-tests lint check-purity bench fuzz clean help

help:
	@echo "make run    - install what is missing, build, run the main job (aether $(RUN_ARGS))"
	@echo "make test   - install what is missing, build, run every test, lint and purity checks"
	@echo "make bench  - the primitives benchmark (aether bench primitives)"
	@echo "make peers  - the Python chain peers of the settlement tests, in .build/peers-venv"
	@echo "make contracts-check / contract-tests / peers-check - the Python pieces of make test alone"
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

# The real chain peers the settlement tests run against (py-evm, LiteSVM via solders, Vyper), in a
# virtualenv under .build; reinstalled only when the pinned requirements change.
peers: deps $(PEERS_STAMP)

$(PEERS_STAMP): Tests/Peers/requirements.txt Tests/Peers/constraints.txt
	rm -rf $(PEERS_VENV)
	$(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/pip install -q --disable-pip-version-check -r Tests/Peers/requirements.txt -c Tests/Peers/constraints.txt
	touch $@

# The committed contract artifacts are exactly what the pinned Vyper compiles.
contracts-check: peers
	Bridge/Contracts/compile.sh

# The settlement contract on py-evm (its own peer on a free port); the last line is its gas figures.
contract-tests: peers
	$(PEERS_VENV)/bin/python Tests/Peers/test_settlement_contract.py

# The peers' own self-checks over HTTP (py-evm and LiteSVM answers, web3.py and solana-py parsing).
peers-check: peers
	Tests/Peers/selfcheck.sh

# Two passes. The consensus fault simulations are pure and CPU-bound: they share both cores.
# Everything else runs one test at a time: the integration tests start real validators, peers and
# servers on fixed loopback ports with wall-clock deadlines, and beside the whole suite on two
# cores they were starved into timeouts (about 9 minutes this way, every test deterministic).
PARALLEL_TESTS = ConsensusTests.FaultTests

test: deps lint check-purity peers build
	$(SWIFT) test --skip-build --filter '$(PARALLEL_TESTS)'
	$(SWIFT) test --skip-build --skip '$(PARALLEL_TESTS)' --no-parallel
	Bridge/Contracts/compile.sh
	$(PEERS_VENV)/bin/python Tests/Peers/test_settlement_contract.py
	Tests/Peers/selfcheck.sh

fuzz: deps
	Deploy/Scripts/fuzz.sh $(FUZZ_RUNS)

clean:
	rm -rf .build

# crewboard: `make run` serves on SQLite, `make test` runs every check. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test test-fast lint typecheck pytest fmt clean chromium wrk bench reliability fuzz screenshots

setup: $(STAMP)

# Re-installs only when pyproject.toml changes, so both targets stay cheap to repeat.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "crewboard needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: setup
	@echo "the crewboard command is $(CURDIR)/$(BIN)/crewboard; in another terminal: export PATH=\"$(CURDIR)/$(BIN):\$$PATH\""
	$(BIN)/crewboard serve

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports --no-cache  # the layer contracts of pyproject.toml (docs/architecture.md)

typecheck: setup
	$(BIN)/mypy src tests bench

# pytest-xdist spreads the tests over the cores (PYTEST_WORKERS=0 runs them in one process).
# The heavy end-to-end tests (fault runs, benchmark smoke, browser) share one worker through
# their xdist_group, so they never fight each other for the two cores, ports or files.
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL = -n $(PYTEST_WORKERS) --dist loadgroup

pytest: setup chromium wrk
	$(BIN)/pytest -q $(PYTEST_PARALLEL)

# The inner loop: SQLite only, in parallel, without the end-to-end tests (real processes,
# browsers), the exhaustive grids (every route x caller or probe) and the fuzzers. No lint,
# no mypy and nothing installed from apt: `make test` remains the full check.
test-fast: setup
	CREWBOARD_TEST_BACKENDS=sqlite $(BIN)/pytest -q $(PYTEST_PARALLEL) -m "not e2e and not exhaustive and not fuzz"

# Tools the tests need from Debian, installed when their command is missing; a failed install
# stops `make test` with the reason. The dashboard's browser tests drive Debian's Chromium (a
# test tool's own browser download cannot work here); the benchmark smoke test runs wrk.
define apt_tool
	@command -v $(1) >/dev/null 2>&1 || { \
		echo "installing Debian's $(1) for $(2)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null || \
		{ echo "could not install $(1) (apt-get install $(1)); $(2) need it" >&2; exit 1; }; }
endef

chromium:
	$(call apt_tool,chromium,the browser tests)

wrk:
	$(call apt_tool,wrk,the benchmarks)

test: lint typecheck pytest

# The long versions of the fault and fuzz tests (the suite runs short ones of each).
reliability: setup
	CREWBOARD_RELIABILITY=long $(BIN)/pytest -q -m reliability

fuzz: setup
	CREWBOARD_FUZZ_EXAMPLES=$${CREWBOARD_FUZZ_EXAMPLES:-100} $(BIN)/pytest -q -m fuzz

# The standard workloads on SQLite and PostgreSQL; rewrites the figures in docs/benchmarks.md
# (and the peers' MCP workload's in docs/benchmarks-peers.md, which takes BENCH_ARGS' --quick and
# --no-write, or PEERS_ARGS).
PEERS_ARGS ?= $(filter --quick --no-write,$(BENCH_ARGS))
bench: setup wrk
	$(BIN)/python -m bench.suite $(BENCH_ARGS)
	$(BIN)/python -m bench.peers $(PEERS_ARGS)
	$(BIN)/python -m bench.hooks  # Claude Code waits on each hook: p50 / p99 (docs/benchmarks.md)

# docs/dashboard.md's pictures: the demo in Chromium, saved into docs/screenshots.
screenshots: setup chromium
	CREWBOARD_SCREENSHOTS_DOCS=1 CREWBOARD_TEST_BACKENDS=sqlite $(BIN)/pytest -q tests/web/test_browser_board.py

fmt: setup
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# Ordo's two front-door commands (see README.md): `make run` and `make test`.
# Both build .venv on first use and reinstall only when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install; newer than pyproject.toml means nothing to do.
STAMP := $(VENV)/.installed-stamp
SOURCES := ordo engine dsl api connectors admin_ui

.PHONY: run install test lint types contracts unit integration e2e system-deps bench fmt

## Create the environment, install, migrate, seed the demo and start Ordo (Ctrl-C stops it).
run: install
	$(BIN)/ordo up

install: $(STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "make: Ordo needs Python 3.11 or newer; '$(PYTHON)' is not (try PYTHON=python3.12)" >&2; \
		exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Everything CI checks: lint, types, import contracts, then the three test tiers.
## -k: every stage runs even when an earlier one fails, so one run reports every problem;
## the command still fails if any stage did.
test: install system-deps
	@$(MAKE) --no-print-directory -k lint types contracts unit integration e2e

lint: install
	$(BIN)/ruff check .

types: install
	$(BIN)/mypy

contracts: install
	$(BIN)/lint-imports

# pytest exits 5 when a tier has no tests yet; that is not a failure of the run.
define run_tier
	@if [ ! -d tests/$(1) ]; then echo "tests/$(1): no tests yet"; else \
		$(BIN)/pytest tests/$(1); status=$$?; \
		if [ $$status -eq 5 ]; then echo "tests/$(1): no tests yet"; \
		elif [ $$status -ne 0 ]; then exit $$status; fi; \
	fi
endef

unit: install
	$(call run_tier,unit)

integration: install
	$(call run_tier,integration)

e2e: install
	$(call run_tier,e2e)

# The browser test needs Debian's chromium; install it under CI, or when missing and root.
system-deps:
	@if [ "$${CI:-}" = "true" ] || { ! command -v chromium >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; }; then \
		scripts/install-system-deps.sh; \
	fi

## Run every benchmark in bench/ (each prints ratios against its named baselines).
## BENCH_ARGS is passed to every benchmark; docs/benchmarks.md has each one's documented run.
bench: install
	@found=0; for bench in bench/*_bench.py; do \
		[ -e "$$bench" ] || continue; found=1; module=bench.$$(basename "$$bench" .py); \
		echo "== $$module"; $(BIN)/python -m "$$module" $(BENCH_ARGS) || exit $$?; \
	done; [ $$found -eq 1 ] || echo "bench/: no benchmarks yet"

## Format and auto-fix the Python sources.
fmt: install
	$(BIN)/ruff format $(SOURCES) tests
	$(BIN)/ruff check --fix .

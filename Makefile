# The two commands of wirestream:
#   make run   set up everything, start the local stack + worker + API, replay samples/, show a search
#   make test  lint, type-check, and run the whole test suite (unit + integration on a real local stack)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test setup lint unit integration browser stop bench bench-scale faults clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/wire demo

stop: $(STAMP)
	$(BIN)/wire stop

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit

# The browser test drives Debian's chromium (Playwright only drives it; it downloads nothing).
browser:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

integration: $(STAMP) browser
	$(BIN)/pytest tests/integration

test: lint browser
	$(BIN)/pytest tests

# Figures, not tests: each starts its own private stack and workers (several minutes).
bench: $(STAMP)
	$(BIN)/python -u -m bench.throughput --count 600 --workers 1 --batch 64 --nlp-processes 2
	$(BIN)/python -u -m bench.throughput --count 2000 --workers 1 --batch 64 --nlp-processes 2
	$(BIN)/python -u -m bench.latency --rate 20 --seconds 60
	$(BIN)/python -u -m bench.state --guids 100000 --stores rocksdb://

# The scale model (bench/README.md, "Scale"): 1, 2, 4 workers; several minutes, not CI.
bench-scale: $(STAMP)
	$(BIN)/python -u -m bench.scale --count 800 --workers 1 2 4

# The fault suite on the real local stack: crashes, restarts, outages, SIGTERM, poison,
# a search node answering 429 (about 25 minutes on 2 cores; not part of `make test`).
faults: $(STAMP)
	$(BIN)/python -u -m bench.faults

clean:
	rm -rf $(VENV) .wirestream .pytest_cache .mypy_cache .ruff_cache *.egg-info test-artifacts

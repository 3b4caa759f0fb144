# Tierwise: `make run` and `make test` are all a new machine needs (Python 3.11+).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TIERWISE_HOME ?= .tierwise
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: install run test test-slow bench bench-large clean browser-deps

$(BIN)/python:
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Tierwise needs Python 3.11 or newer; found " + sys.version.split()[0] + ". Set PY=/path/to/python3.11.")'
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

# Demo data is generated and loaded once; later runs rebuild on what is loaded.
run: install
	@if [ ! -f "$(TIERWISE_HOME)/current" ]; then $(BIN)/tierwise demo --load; fi
	$(BIN)/tierwise build
	$(BIN)/tierwise status
	$(BIN)/tierwise serve --host $(HOST) --port $(PORT)

test: install browser-deps
	$(BIN)/python -m pytest

# Browser tests drive Debian's Chromium; Playwright's own browser download fails offline.
browser-deps:
	@if command -v chromium >/dev/null 2>&1; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "Chromium is not on PATH and apt-get is missing: install Chromium to run the browser tests."; exit 1; fi; \
	SUDO=""; if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium

test-slow: install
	$(BIN)/python -m pytest -m slow

bench: install
	$(BIN)/tierwise bench --customers 100000 --record

bench-large: install
	$(BIN)/tierwise bench --customers 1000000 --record

clean:
	rm -rf $(VENV) $(TIERWISE_HOME) .pytest_cache

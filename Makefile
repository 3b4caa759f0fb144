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

# Browser tests drive Debian's Chromium (Playwright's own browser download fails offline) with CJK and
# emoji fonts: without them Chinese answers render as empty boxes that pass a DOM check and fail a person.
# apt-get install waits for dpkg's lock (DPkg::Lock::Timeout); apt-get update ignores that option, so it
# is retried while another apt-get holds the package lists, for up to APT_WAIT_TRIES x APT_WAIT_SECONDS.
APT_WAIT_TRIES ?= 60
APT_WAIT_SECONDS ?= 5
browser-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	fc-list :lang=zh family 2>/dev/null | grep -q . || missing="$$missing fonts-noto-cjk"; \
	fc-list : family 2>/dev/null | grep -qi "emoji" || missing="$$missing fonts-noto-color-emoji"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "The browser tests need$$missing, and apt-get is missing: install them."; exit 1; fi; \
	SUDO=""; if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; fi; \
	try=0; until out=$$($$SUDO apt-get update -qq 2>&1); do \
		case "$$out" in *"Could not get lock"*) ;; *) echo "$$out"; exit 1;; esac; \
		try=$$((try + 1)); if [ $$try -ge $(APT_WAIT_TRIES) ]; then echo "$$out"; exit 1; fi; \
		if [ $$try -eq 1 ]; then echo "Another apt-get is running; waiting for it to finish."; fi; \
		sleep $(APT_WAIT_SECONDS); \
	done; \
	echo "Installing for the browser tests:$$missing"; \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq $$missing

test-slow: install
	$(BIN)/python -m pytest -m slow

bench: install
	$(BIN)/tierwise bench --customers 100000 --record

bench-large: install
	$(BIN)/tierwise bench --customers 1000000 --record

clean:
	rm -rf $(VENV) $(TIERWISE_HOME) .pytest_cache

# Tierwise: `make run` and `make test` are all a new machine needs (Python 3.11+).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TIERWISE_HOME ?= .tierwise
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: install run test test-slow bench bench-large clean browser-deps spark-deps

$(BIN)/python:
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Tierwise needs Python 3.11 or newer; found " + sys.version.split()[0] + ". Set PY=/path/to/python3.11.")'
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test,spark]"
	@touch $(STAMP)

install: $(STAMP)

# Demo data is generated and loaded once; later runs rebuild on what is loaded.
run: install
	@if [ ! -f "$(TIERWISE_HOME)/current" ]; then $(BIN)/tierwise demo --load; fi
	$(BIN)/tierwise build
	$(BIN)/tierwise status
	$(BIN)/tierwise serve --host $(HOST) --port $(PORT)

# Two workers (pytest-xdist), each test file in one of them: the suite is mostly single-threaded Python. The browser
# tests run after them on their own: beside a busy worker the served app answered one question in over 90 s.
TEST_WORKERS ?= 2
test: install browser-deps spark-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --ignore=tests/browser
	$(BIN)/python -m pytest tests/browser

# Debian packages the tests need, installed when missing. apt-get install waits for dpkg's lock
# (DPkg::Lock::Timeout); apt-get update ignores that option, so it is retried while another apt-get holds the
# package lists, for up to APT_WAIT_TRIES x APT_WAIT_SECONDS. Used in a recipe after setting the shell
# variables `missing` (the packages) and `purpose` (what they are for).
APT_WAIT_TRIES ?= 60
APT_WAIT_SECONDS ?= 5
define APT_INSTALL
if [ -z "$$missing" ]; then exit 0; fi; \
if ! command -v apt-get >/dev/null 2>&1; then \
	echo "The $$purpose need$$missing, and apt-get is missing: install them."; exit 1; fi; \
SUDO=""; if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; fi; \
try=0; until out=$$($$SUDO apt-get update -qq 2>&1); do \
	case "$$out" in *"Could not get lock"*) ;; *) echo "$$out"; exit 1;; esac; \
	try=$$((try + 1)); if [ $$try -ge $(APT_WAIT_TRIES) ]; then echo "$$out"; exit 1; fi; \
	if [ $$try -eq 1 ]; then echo "Another apt-get is running; waiting for it to finish."; fi; \
	sleep $(APT_WAIT_SECONDS); \
done; \
echo "Installing for the $$purpose:$$missing"; \
DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq $$missing
endef

# Browser tests drive Debian's Chromium (Playwright's own browser download fails offline) with CJK and
# emoji fonts: without them Chinese answers render as empty boxes that pass a DOM check and fail a person.
browser-deps:
	@missing=""; purpose="browser tests"; \
	command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	fc-list :lang=zh family 2>/dev/null | grep -q . || missing="$$missing fonts-noto-cjk"; \
	fc-list : family 2>/dev/null | grep -qi "emoji" || missing="$$missing fonts-noto-color-emoji"; \
	$(APT_INSTALL)

# The Spark parity tests run PySpark (the `spark` extra, installed with the project) on a Java 17+ runtime.
# Slim Debian images lack /usr/share/man/man1, which the JRE's install scripts link into.
JAVA ?= java
spark-deps:
	@missing=""; purpose="Spark tests"; \
	major=$$($(JAVA) -version 2>&1 | sed -n 's/.*version "\(1\.\)\{0,1\}\([0-9]*\).*/\2/p' | head -n 1); \
	if [ -z "$$major" ] || [ "$$major" -lt 17 ]; then missing=" openjdk-17-jre-headless"; mkdir -p /usr/share/man/man1 2>/dev/null || true; fi; \
	$(APT_INSTALL)

test-slow: install
	$(BIN)/python -m pytest -m slow

bench: install
	$(BIN)/tierwise bench --customers 100000 --record

bench-large: install
	$(BIN)/tierwise bench --customers 1000000 --record

clean:
	rm -rf $(VENV) $(TIERWISE_HOME) .pytest_cache

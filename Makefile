# Newcomers: `make demo` runs the pipeline end to end, `make test` runs the test suite.
# Both create .venv and install the project first; no other setup is needed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Reinstall whenever pyproject.toml changes.
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

# yusuan never phones home.
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: install demo test test-all test-fast lint format clean serve screenshot screenshot-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

demo: install
	$(BIN)/yusuan demo

# Two workers (the machines have 2 cores), a test module per worker: module fixtures such as the
# real-PDF sweep run once. Each worker has its own database, Prefect home and servers.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --durations=12

# Tests marked slow (real-corpus sweeps, Prefect servers and workers, fault rounds: ~13 of the
# ~18 minutes) run in CI (.ci/run sets YUSUAN_SLOW_TESTS=1) and with `make test-all`; a local
# `make test` runs the rest in about 5 minutes.
ifeq ($(YUSUAN_SLOW_TESTS),1)
TEST_SELECTION :=
else
TEST_SELECTION := -m "not slow"
endif

test: install
	$(PYTEST) $(TEST_SELECTION)

test-all: install
	$(PYTEST)

test-fast: test

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

serve: install
	$(BIN)/python -m deployments.serve

clean:
	rm -rf .yusuan .pytest_cache .ruff_cache

# Debian's chromium and a CJK font; installed here when missing and apt-get can (root).
screenshot-deps:
	@command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei; \
	    else echo "needs: apt-get install chromium fonts-wqy-microhei (as root)"; exit 1; fi; }

screenshot: install screenshot-deps
	$(BIN)/python -m deployments.screenshot

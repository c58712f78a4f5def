# Two commands do all set-up on a fresh machine:
#   make demo   create .venv, install, run the main job on the embedded store ./pastas_data
#   make test   create/update .venv and run the test suite (make test-all: with the soak tests)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
STORE ?= lmdb://./pastas_data

.PHONY: install demo test test-all chromium lint bench bench-quick clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,bench]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/pastas-projects demo --store $(STORE)

# Two test processes: most tests wait on servers and subprocesses, so two keep both
# cores busy. The servers are started once, by the first process (tests/conftest.py).
test: $(STAMP) chromium
	$(PY) -m pytest -ra -n 2 --dist loadgroup -m "not soak"

test-all: $(STAMP) chromium
	$(PY) -m pytest -ra -n 2 --dist loadgroup

# The browser tests drive Debian's chromium (playwright cannot download its own here).
# Installed when missing and we may (root, as CI runs); otherwise those tests skip and say why.
chromium:
	@command -v chromium >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || \
	  echo "chromium not installed: the browser tests will skip"

lint: $(STAMP)
	$(VENV)/bin/ruff check pastas_projects tests benchmarks
	$(VENV)/bin/ruff format --check pastas_projects tests benchmarks

# Each benchmark prints its tables and writes its JSON; benchmarks/RESULTS.md holds the
# latest figures. The full set takes a few hours on two cores; bench-quick minutes.
BENCHES := store calibrate user scaling build firstbatch cli transfer judge nightly retention queries

bench: $(STAMP)
	mkdir -p bench_results
	for b in $(BENCHES); do $(PY) -m benchmarks.bench_$$b --json bench_results/$$b.json || exit 1; done

bench-quick: $(STAMP)
	for b in $(BENCHES); do $(PY) -m benchmarks.bench_$$b --quick || exit 1; done

clean:
	rm -rf $(VENV) pastas_data pastas_reports test-output .pytest_cache

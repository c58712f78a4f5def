# Two commands do all set-up on a fresh machine:
#   make demo   create .venv, install, run the main job on the embedded store ./pastas_data
#   make test   create/update .venv and run the test suite (make test-all: with the soak tests)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
STORE ?= lmdb://./pastas_data

.PHONY: install demo test test-all lint bench bench-quick clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,bench]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/pastas-projects demo --store $(STORE)

test: $(STAMP)
	$(PY) -m pytest -ra -m "not soak"

test-all: $(STAMP)
	$(PY) -m pytest -ra

lint: $(STAMP)
	$(VENV)/bin/ruff check pastas_projects tests benchmarks
	$(VENV)/bin/ruff format --check pastas_projects tests benchmarks

bench: $(STAMP)
	$(PY) -m benchmarks.bench_store --json bench_results/store.json
	$(PY) -m benchmarks.bench_calibrate --json bench_results/calibrate.json
	$(PY) -m benchmarks.bench_transfer --json bench_results/transfer.json

bench-quick: $(STAMP)
	$(PY) -m benchmarks.bench_store --quick
	$(PY) -m benchmarks.bench_calibrate --quick
	$(PY) -m benchmarks.bench_transfer --quick

clean:
	rm -rf $(VENV) pastas_data .pytest_cache

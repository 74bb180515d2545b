# duban: `make run` serves the three services with the Quzhou plan; `make test` runs the tests.
# Both bootstrap .venv from pyproject.toml on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready
PLAN := data/plans/quzhou-yrd-2019-2025.yaml
# Four workers on two cores: many tests wait on hung or slow peers, so the cores stay busy (SQLite 373 s -> 238 s);
# --dist loadfile keeps a test file on one worker, so its fixtures are built once.
PYTEST_WORKERS ?= -n 4 --dist loadfile
# On PostgreSQL two: each worker's apps keep connection pools, and four workers pass its default 100 connections.
PYTEST_WORKERS_POSTGRES ?= -n 2 --dist loadfile

.PHONY: run test test-postgres openapi contract-check migrate bench bench-smoke clean

$(READY): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

run: $(READY)
	$(BIN)/duban migrate all
	$(BIN)/duban import $(PLAN)
	$(BIN)/duban serve

test: $(READY)
	$(BIN)/pytest $(PYTEST_WORKERS)

test-postgres: $(READY)
	DUBAN_TEST_DATABASE=postgresql $(BIN)/pytest $(PYTEST_WORKERS_POSTGRES)

migrate: $(READY)
	$(BIN)/duban migrate all

openapi: $(READY)
	$(BIN)/python -m services.contract write

# Issue 6's benchmarks against PostgreSQL at 127.0.0.1:5432 (bench/run.py); wrk if installed (apt-get install wrk).
bench: $(READY)
	$(BIN)/python -m bench.run

bench-smoke: $(READY)
	$(BIN)/python -m bench.run --scale 0.01 --prefix bench_smoke --seconds 2 --delivery-seconds 10

# Fails on breaking contract changes since HEAD~1 (or AGAINST=<ref>) unless info.version announces them.
contract-check: $(READY)
	$(BIN)/python -m services.contract breaking $(if $(AGAINST),--against $(AGAINST))


clean:
	rm -rf $(VENV) var

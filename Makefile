# duban: `make run` serves the three services with the Quzhou plan; `make test` runs the tests; `make lint` the checks.
# Each bootstraps .venv from uv.lock on first use, with only Python 3.11+ and make on the machine: a venv, the pinned
# uv inside it, then `uv sync --frozen` (the locked versions, the dev group, duban itself as an editable install),
# compiling the installed packages' bytecode as a deployment does: a process that compiled them itself on every start
# (where PYTHONDONTWRITEBYTECODE is set, or site-packages is read-only) took 3.3 s instead of 1.6 s to start a
# service and kept 7 MB more of its resident set.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready
# Keep in step with required-version in pyproject.toml's [tool.uv].
UV_VERSION := 0.13.9
# uv would otherwise use an active virtualenv or its own default; the project's is .venv.
export UV_PROJECT_ENVIRONMENT := $(VENV)
PLAN := data/plans/quzhou-yrd-2019-2025.yaml
# Four workers on two cores: many tests wait on hung or slow peers, so the cores stay busy (SQLite 373 s -> 238 s);
# --dist loadfile keeps a test file on one worker, so its fixtures are built once.
PYTEST_WORKERS ?= -n 4 --dist loadfile
# On PostgreSQL two: each worker's apps keep connection pools, and four workers pass its default 100 connections.
PYTEST_WORKERS_POSTGRES ?= -n 2 --dist loadfile
# More pytest arguments for both suites (.ci/run leaves out a file contract-lint has just run).
PYTEST_ARGS ?=
# The tools' caches, outside the tree so that a fresh checkout (CI's) starts from them: mypy's (30 s from nothing on a
# slow machine, 1 s from the cache; it checks again each file whose hash changed and what depends on it) and
# contract-lint's node_modules (tools/contract-lint.sh). DUBAN_CACHE_DIR moves them.
export DUBAN_CACHE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/duban

.PHONY: sync run test test-postgres lint typecheck openapi contract-check contract-lint migrate bench bench-smoke env gateway-configmap clean

define bootstrap
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/uv --version 2>/dev/null | grep -qx 'uv $(UV_VERSION)' \
		|| $(BIN)/python -m pip install --quiet --disable-pip-version-check 'uv==$(UV_VERSION)'
	$(BIN)/uv sync --frozen --compile-bytecode
	@touch $(READY)
endef

$(READY): pyproject.toml uv.lock
	$(bootstrap)

# The same, unconditionally: .venv made exactly what uv.lock says (CI runs it first).
sync:
	$(bootstrap)

run: $(READY)
	$(BIN)/duban migrate all
	$(BIN)/duban import $(PLAN)
	$(BIN)/duban serve

test: $(READY)
	$(BIN)/pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-postgres: $(READY)
	DUBAN_TEST_DATABASE=postgresql $(BIN)/pytest $(PYTEST_WORKERS_POSTGRES) $(PYTEST_ARGS)

# Everything .ci/run checks before the suites: ruff (rules in pyproject.toml), the formatting, the import contracts
# ([tool.importlinter]), the architecture ratchets (tests/architecture/) and mypy over services/ ([tool.mypy]; last,
# being the slowest).
lint: $(READY)
	$(BIN)/ruff check services tests bench migrations
	$(BIN)/ruff format --check services tests bench migrations
	$(BIN)/lint-imports --no-logo
	$(BIN)/pytest -p no:xdist tests/architecture
	$(MAKE) --no-print-directory typecheck

typecheck: $(READY)
	MYPY_CACHE_DIR=$(DUBAN_CACHE_DIR)/mypy $(BIN)/mypy services

migrate: $(READY)
	$(BIN)/duban migrate all

openapi: $(READY)
	$(BIN)/python -m services.contract write

# Issues 6 and 15's benchmarks against PostgreSQL at 127.0.0.1:5432 (bench/run.py); wrk if installed (apt-get install
# wrk). PROFILE=1: a py-spy flame graph per figure in var/bench/profiles/.
BENCH_FLAGS = $(if $(PROFILE),--profile)

bench: $(READY)
	$(BIN)/python -m bench.run $(BENCH_FLAGS)

bench-smoke: $(READY)
	$(BIN)/python -m bench.run --scale 0.01 --prefix bench_smoke --seconds 2 --delivery-seconds 10 \
		--settle-seconds 5 $(BENCH_FLAGS)

# Fails on breaking contract changes since HEAD~1 (or AGAINST=<ref>) unless info.version announces them.
contract-check: $(READY)
	$(BIN)/python -m services.contract breaking $(if $(AGAINST),--against $(AGAINST))

# The contracts judged by Spectral (spectral:oas + OWASP, contract-lint/.spectral.yaml), Redocly (recommended),
# openapi-typescript + tsc --strict and openapi-python-client (tools/contract-lint.sh; Node and npm needed).
contract-lint: $(READY)
	tools/contract-lint.sh

# .env for `docker compose up` (compose.yaml): the variables of .env.example, each empty one (the secrets) a fresh
# random value from Python's secrets module. An existing .env is kept: its secrets already sealed data.
env:
	$(PYTHON) deploy/make_env.py --example .env.example --out .env

clean:
	rm -rf $(VENV) var

# deploy/kubernetes/gateway-template.yaml: deploy/nginx/duban.conf.template as the gateway's ConfigMap (kustomize
# reads no file outside deploy/kubernetes/), its opening comment kept. Run after changing the template.
GATEWAY_CONFIGMAP := deploy/kubernetes/gateway-template.yaml
gateway-configmap:
	{ sed '/^[^#]/,$$d' $(GATEWAY_CONFIGMAP); kubectl create configmap duban-gateway-template --dry-run=client -o yaml \
		--from-file=default.conf.template=deploy/nginx/duban.conf.template; } > $(GATEWAY_CONFIGMAP).new
	mv $(GATEWAY_CONFIGMAP).new $(GATEWAY_CONFIGMAP)

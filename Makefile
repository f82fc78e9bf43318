# The two commands a newcomer needs: `make run` and `make test`. Only python3 and make are required.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every package pinned with its hashes (tools/lockfile.py); the production image installs requirements.lock.
LOCK := requirements-dev.lock

.PHONY: run test lint typecheck unit bench bench-quick migrate clean lock lock-upgrade

# A changed lock reinstalls; a pyproject.toml whose requirements changed since the lock stops here until
# `make lock` has been run.
$(STAMP): pyproject.toml $(LOCK) requirements.lock
	$(PYTHON) tools/lockfile.py check
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# After editing pyproject.toml's requirements: pins the new ones, keeps every other pin. Needs PyPI.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c 'import uv' 2>/dev/null || $(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python tools/lockfile.py compile
	$(MAKE) $(STAMP)

# Every package to its newest version that pyproject.toml allows.
lock-upgrade:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c 'import uv' 2>/dev/null || $(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python tools/lockfile.py compile --upgrade
	$(MAKE) $(STAMP)

run: $(STAMP)
	$(BIN)/python -m devstack

# Three pytest processes (pytest-xdist), each test file whole on one of them; then the fault tests, which start
# the whole service and break it on purpose, alone on the machine (docs/testing.md).
# PYTEST_PROCESSES=0 runs the first part in this process too.
PYTEST_PROCESSES ?= 3
FAULT_TESTS := tests/reliability tests/recovery
test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(PYTEST_PROCESSES) --dist loadfile $(addprefix --ignore=,$(FAULT_TESTS))
	$(BIN)/python -m pytest -q -p no:cacheprovider $(FAULT_TESTS)

lint: $(STAMP)
	$(BIN)/ruff check --no-cache .
	$(BIN)/ruff format --no-cache --check .

typecheck: $(STAMP)
	$(BIN)/mypy .

bench: $(STAMP)
	$(BIN)/python -m bench

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick

migrate: $(STAMP)
	$(BIN)/python -m store migrate

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache

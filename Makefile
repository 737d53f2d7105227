# The two commands of README.md: `make run` and `make test`. Both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test check lint typecheck bench clean

$(BIN)/python:
	PYTHON=$(PYTHON) scripts/system-deps.sh run
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed-run

# Debian packages are checked on every run (a no-op when present), first before the virtualenv
# (python3-venv); Python ones when pyproject changes.
run: $(VENV)/.installed-run
	PYTHON=$(PYTHON) scripts/system-deps.sh run
	$(BIN)/ringfence migrate
	$(BIN)/ringfence serve

# ruff, and the import contracts of pyproject.toml (layers, independent services).
lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/lint-imports --no-cache

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

# The whole suite: lint, types, then every test (real peers included) in parallel.
test: $(VENV)/.installed-test lint typecheck
	scripts/system-deps.sh test
	$(BIN)/pytest -n auto --dist loadgroup

# The fast loop: lint, types, contracts and the unit tests (no server, SIPp or browser), about a
# minute.
check: lint typecheck
	$(BIN)/pytest tests/unit -n auto -q

bench: $(VENV)/.installed-test
	for b in bench/*.py; do $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# The two commands README promises: `make dev` runs the product, `make test` runs every check.
# Both create the virtualenv and install the project on first use.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: dev test lint typecheck pytest install histories clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(BIN)/.installed

# Options of `escalation dev` go through ARGS, e.g. beside another stack:
#   make dev ARGS="--port 17233 --ui-port 18233 --smtp-port 18025 --web-port 18088"
ARGS ?=

dev: $(BIN)/.installed
	$(BIN)/escalation dev $(ARGS)

test: lint typecheck pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

# Two worker processes, one test file each at a time: every test owns its servers, sink and
# databases, so files run side by side (about 100 s instead of 160 s on 2 cores).
PYTEST_WORKERS ?= 2

pytest: $(BIN)/.installed
	$(BIN)/pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile

histories: $(BIN)/.installed
	$(BIN)/python scripts/save_histories.py

clean:
	rm -rf $(VENV) .escalation .mypy_cache .pytest_cache .ruff_cache

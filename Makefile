# The README names these targets; .ci/run calls `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup demo test test-fast lint bench-replay clean

$(BIN)/assistant: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/assistant

setup: $(BIN)/assistant

demo: setup
	$(BIN)/python -m adapters.cli.demo

test: setup
	$(BIN)/ruff check assistant adapters tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -q

test-fast: setup
	$(BIN)/pytest -q -m "not slow"

bench-replay: setup
	$(BIN)/python benchmarks/replay_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache assistant.db

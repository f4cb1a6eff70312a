# One virtual environment per checkout; every target creates what it needs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: tour test test-device lint bench bench-quick doc doc-screenshots clean gpu-check

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

$(VENV)/.tour: $(VENV)/.base
	$(PY) -m pip install -q -e ".[tour]"
	touch $@

$(VENV)/.doc: $(VENV)/.base
	$(PY) -m pip install -q -e ".[doc,test]"
	touch $@

## tour: the main job, a quick tour of every estimator family (results table, plots and
## tour_output/index.html); TOUR_ARGS="--families foundation grassmann" runs only some
tour: $(VENV)/.tour
	MPLBACKEND=Agg $(VENV)/bin/sksubspace-tour --out tour_output $(TOUR_ARGS)

## test: install the test extras, lint, run the whole suite (doctests and examples included)
test: $(VENV)/.test
	$(PY) -m ruff check sksubspace tests benchmarks examples doc
	$(PY) -m ruff format --check sksubspace tests benchmarks examples doc
	MPLBACKEND=Agg OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -n 2 --durations=15

## test-device: the array-API tests again with their arrays on array-api-strict's second device
## (ARRAY_API_ARGS=--array-api-float32 adds float32, with float32 tolerances from tests/_helpers.py);
## both pass, with one xfail on device1 (MultiRepresentation's scikit-learn PCA view reads with NumPy)
test-device: $(VENV)/.test
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -n 2 -q \
		-k "strict or array_api or second_device" --deselect tests/test_common.py::test_sklearn_compatible \
		--array-api-device=device1 $(ARRAY_API_ARGS)

lint: $(VENV)/.test
	$(PY) -m ruff check sksubspace tests benchmarks examples
	$(PY) -m ruff format --check sksubspace tests benchmarks examples

## bench: side-by-side benchmarks, full runs; records doc/benchmarks/<name>.txt (+ .json rows)
## for the docs' benchmarks page. bench-quick (or BENCH_MODE=quick): quick settings, < 30 min
BENCH_MODE ?= full
bench: $(VENV)/.bench
	MPLBACKEND=Agg $(PY) doc/_tools/run_benchmarks.py --mode $(BENCH_MODE)

bench-quick: $(VENV)/.bench
	MPLBACKEND=Agg $(PY) doc/_tools/run_benchmarks.py --mode quick

## doc: the documentation site into doc/_build/html (API reference, gallery, benchmarks); warnings are errors
doc: $(VENV)/.doc
	MPLBACKEND=Agg $(PY) -m sphinx -W --keep-going -b html doc doc/_build/html

## doc-screenshots: headless Chromium screenshots of the built site (home, benchmarks, one example,
## one API page) into doc/_build/screenshots, failing on raw LaTeX, missing images or wide tables
doc-screenshots:
	$(PYTHON) doc/_tools/screenshots.py

## gpu-check: every estimator on CuPy vs NumPy (answers, times, crossover); says so and exits 0 without a GPU
# Uses the machine's own Python (a GPU machine's image carries CuPy; a fresh venv would not).
gpu-check:
	PYTHONPATH=$(CURDIR) $(PYTHON) -m pytest -q -p no:cacheprovider tests/test_gpu.py -o addopts="" || true
	PYTHONPATH=$(CURDIR) $(PYTHON) benchmarks/gpu_check.py $(GPU_CHECK_ARGS)

clean:
	rm -rf $(VENV) tour_output doc/_build doc/api doc/auto_examples doc/benchmarks/results.rst.inc \
		doc/benchmarks/generated

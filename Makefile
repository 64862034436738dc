# The course's commands. Each target creates (or reuses) the virtualenv in $(VENV) first.
#   make run    execute every lecture headless and build the offline course site in build/site/
#   make test   the full test suite (the command CI runs)
#   make lab    open JupyterLab on the course
#   make hub    a trial JupyterHub for a class on http://127.0.0.1:8000 (deploy/; HUB_ARGS="--port 8100 ...")
#   make grade  the instructor pipeline on sample submissions, in a temporary course directory
#   make grade-class ASSIGNMENT=03_backprop [WORKERS=N]   autograde a class's submissions in parallel
#   make bench  timing and accuracy benchmarks (benchmarks/results.md); fetches MNIST into the cache first
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of PyTorch that the course machines hold on disk. Elsewhere, pick the build you want,
# e.g. `make test TORCH_SPEC="torch --index-url https://download.pytorch.org/whl/cpu"`.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed
PYTEST_ARGS ?= -n 2
# One BLAS/OpenMP thread per process: the test runner already uses both cores, and small matrix products
# are faster single-threaded (oversubscribed OpenBLAS threads slowed them ~100x on a loaded machine).
THREADS := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

ASSIGNMENT ?=
WORKERS ?=

.PHONY: setup run test lab hub grade grade-class bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@echo "setup 1/3: virtualenv in $(VENV)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "setup 2/3: PyTorch ($(TORCH_SPEC)), a few minutes the first time"
	$(BIN)/python -m pip install --quiet $(TORCH_SPEC)
	@echo "setup 3/3: mlkit and the course tools (numpy, scikit-learn, Jupyter, nbgrader, ...)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: setup
	$(THREADS) $(BIN)/python scripts/run_lectures.py
	$(BIN)/python scripts/build_site.py

grade: setup
	$(THREADS) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python scripts/grade_demo.py

grade-class: setup
	@test -n "$(ASSIGNMENT)" || (echo "usage: make grade-class ASSIGNMENT=03_backprop [WORKERS=2]"; exit 2)
	$(THREADS) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m mlgrade autograde $(ASSIGNMENT) \
		$(if $(WORKERS),--workers $(WORKERS))

test: setup
	$(THREADS) $(BIN)/python -m pytest $(PYTEST_ARGS)

# Containers often run as root, which JupyterLab refuses unless told.
lab: setup
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

HUB_ARGS ?=
hub: setup
	$(THREADS) $(BIN)/python deploy/hub.py $(HUB_ARGS)

bench: setup
	$(BIN)/python scripts/fetch_mnist.py || echo "no full MNIST: the benchmark uses the offline digits"
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf build .pytest_cache .hypothesis deploy/node_modules

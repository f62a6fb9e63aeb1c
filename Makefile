# make run   - install into .venv (first time / when pyproject.toml changes) and serve the demo on :8000
# make test  - install with test extras and run the whole suite (PostgreSQL tests skip unless
#              SENDWISE_TEST_POSTGRES_URL is set)
# make test-pg - the same with a throwaway PostgreSQL server (scripts/pg-test-env; needs Debian's
#              `postgresql` package or PG_BIN), so every test runs on SQLite and PostgreSQL
# make bench - engine benchmark (quick)
# make clean - remove the venv, caches and build output (keeps instance/, your database)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
SENDWISE_DEMO ?= 1

.PHONY: run test test-pg bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps live inside the venv, so a recreated venv reinstalls.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	SENDWISE_DEMO=$(SENDWISE_DEMO) $(BIN)/sendwise serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-pg: $(VENV)/.installed-test
	scripts/pg-test-env $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed
	$(BIN)/python bench/analyze.py --quick

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# make run   - install into .venv (first time / when pyproject.toml changes) and serve the demo on :8000
# make test  - install with test extras, run the checks (ruff lint and format, mypy, import
#              contracts), then the whole suite (PostgreSQL tests skip unless
#              SENDWISE_TEST_POSTGRES_URL is set)
# make check - only those checks
# make test-pg - the same with a throwaway PostgreSQL server (scripts/pg-test-env; needs Debian's
#              `postgresql` package or PG_BIN), so every test runs on SQLite and PostgreSQL
# make fuzz  - the property tests and the API fuzzing with many more cases (SENDWISE_FUZZ=1), and
#              the slowest request each met; then bench/slowest.py searches for the slowest analysis
# make audit - known vulnerabilities in the Python dependencies (pip-audit) and both npm locks
#              (npm audit); needs the advisory services online (docs/security.md)
# make bench - engine benchmark (quick)
# make clean - remove the venv, caches and build output (keeps instance/, your database)
#
# `run` and `test` also build the Outlook add-in (addin/: npm ci, then vite) when its
# sources change; Node.js 20.19+ and npm must be on PATH.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
SENDWISE_DEMO ?= 1

ADDIN         := addin
ADDIN_SOURCES := $(shell find $(ADDIN)/src $(ADDIN)/public -type f 2>/dev/null) \
                 $(wildcard $(ADDIN)/*.html $(ADDIN)/*.ts $(ADDIN)/tsconfig.json)

.PHONY: run check test test-pg fuzz audit bench clean addin

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamps live inside the venv, so a recreated venv reinstalls.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.installed

# npm ci installs exactly the committed lock; the stamp makes it run again only when that changes.
$(ADDIN)/node_modules/.installed: $(ADDIN)/package.json $(ADDIN)/package-lock.json
	cd $(ADDIN) && npm ci --no-audit --no-fund
	touch $@

$(ADDIN)/dist/.built: $(ADDIN)/node_modules/.installed $(ADDIN_SOURCES)
	cd $(ADDIN) && npm run --silent build
	touch $@

addin: $(ADDIN)/dist/.built

# The admin page's chart library (ECharts from npm), copied into admin/dist and served from there.
admin/dist/echarts.min.js: admin/package.json admin/package-lock.json
	cd admin && npm ci --no-audit --no-fund && npm run --silent build

run: $(VENV)/.installed $(ADDIN)/dist/.built admin/dist/echarts.min.js
	SENDWISE_DEMO=$(SENDWISE_DEMO) $(BIN)/sendwise serve --host $(HOST) --port $(PORT)

# Lint, formatting, types and import contracts: seconds, so they run first and fail fast.
define CHECKS
$(BIN)/ruff check
$(BIN)/ruff format --check
$(BIN)/mypy nlp backend gmail_addon
$(BIN)/lint-imports --no-cache
endef

check: $(VENV)/.installed-test
	$(CHECKS)

# One command: the checks, the add-in's Vitest suite, then pytest (whose browser tests use the build).
test: $(VENV)/.installed-test $(ADDIN)/dist/.built admin/dist/echarts.min.js
	$(CHECKS)
	cd $(ADDIN) && npx vitest run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-pg: $(VENV)/.installed-test $(ADDIN)/dist/.built admin/dist/echarts.min.js
	$(CHECKS)
	cd $(ADDIN) && npx vitest run
	scripts/pg-test-env $(BIN)/python -m pytest $(PYTEST_ARGS)

# Minutes, not seconds: SENDWISE_FUZZ_FACTOR (default 20) multiplies every bounded example count.
fuzz: $(VENV)/.installed-test
	SENDWISE_FUZZ=1 $(BIN)/python -m pytest -s tests/nlp/test_properties.py tests/backend/test_fuzz_api.py $(PYTEST_ARGS)
	$(BIN)/python bench/slowest.py --examples 3000

# Every tree is audited even when one has findings; the exit status says whether any had.
audit: $(VENV)/.installed-test
	status=0; \
	$(BIN)/pip-audit --skip-editable --progress-spinner off || status=1; \
	(cd $(ADDIN) && npm audit --package-lock-only) || status=1; \
	(cd admin && npm audit --package-lock-only) || status=1; \
	exit $$status

bench: $(VENV)/.installed
	$(BIN)/python bench/analyze.py --quick

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache $(ADDIN)/node_modules $(ADDIN)/dist admin/node_modules admin/dist tests/artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

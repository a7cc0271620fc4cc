# Two commands set everything up: `make run` (the marketplace with demo data on SQLite)
# and `make test` (every check and the whole test suite). Both create the environment first.

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
RUN := $(UV) run --frozen
export UV_PROJECT_ENVIRONMENT := .venv
# Every process of the suite (xdist workers, served apps, localstripe) imports the same few
# hundred modules: let them share compiled bytecode instead of compiling it again each time.
unexport PYTHONDONTWRITEBYTECODE
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test env catalogs translations browser-deps lint typecheck layering migrations-check pytest services clean mutation

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The project's environment, exactly as uv.lock pins it (dev tools included).
env: $(UV)
	$(UV) sync --frozen --quiet --compile-bytecode

# Babel catalogs are compiled in the build, never committed as .mo files.
catalogs: env
	$(RUN) pybabel compile --use-fuzzy -d app/translations -D messages --statistics 2>&1 | tail -n 2

# After changing user-visible text: refresh the template and the English catalog, then
# translate the new entries in app/translations/en/LC_MESSAGES/messages.po.
translations: env
	$(RUN) pybabel extract -F babel.cfg -o app/translations/messages.pot --ignore-dirs '.*' \
		--no-location --sort-output --project Fengshou .
	$(RUN) pybabel update -i app/translations/messages.pot -d app/translations -D messages \
		--no-fuzzy-matching --ignore-obsolete

PORT ?= 8000

run: env catalogs
	$(RUN) fengshou demo --port $(PORT)

lint: env
	$(RUN) ruff format --check .
	$(RUN) ruff check .

typecheck: env
	$(RUN) mypy app search tests migrations bench

layering: env
	$(RUN) lint-imports

# The models and the migrations describe the same schema.
migrations-check: env
	rm -f var/alembic-check.sqlite3
	mkdir -p var
	FENGSHOU_DATABASE_URL=sqlite+aiosqlite:///var/alembic-check.sqlite3 $(RUN) alembic upgrade head
	FENGSHOU_DATABASE_URL=sqlite+aiosqlite:///var/alembic-check.sqlite3 $(RUN) alembic check
	rm -f var/alembic-check.sqlite3

# Browser tests drive Debian's Chromium through Playwright; Chinese needs a CJK font; axe-core
# (scripts/audit, as package-lock.json pins it) is injected into the pages they audit. Only the
# runtime dependencies: Lighthouse, a dev dependency there, is installed by bench/lighthouse.py.
AXE := scripts/audit/node_modules/axe-core/axe.min.js

browser-deps: $(AXE)
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei"; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-wqy-microhei; \
	fi

$(AXE): scripts/audit/package.json scripts/audit/package-lock.json
	@if ! command -v npm >/dev/null; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm; \
	fi
	cd scripts/audit && npm ci --omit=dev --no-audit --no-fund --loglevel=error
	touch $@

pytest: env catalogs browser-deps
	$(RUN) pytest -n auto --cov --cov-report=term:skip-covered -q

test: lint typecheck layering migrations-check pytest

# Mutation testing of the money, stock, ledger, refund and order-placing code ([tool.mutmut]
# in pyproject.toml): slow, so not part of `make test` or CI. Each mutant runs the selected
# tests that reach its function, on MUTATION_DB: sqlite (the default; no server needed),
# postgresql (each test's PostgreSQL run, and the tests that need no database; the locking
# and race tests only kill mutants there) or both. Starts afresh (mutants/ is mutmut's copy of
# the project and its results), then lists the mutants no test killed. docs/mutation.md lists
# the survivors that change nothing, with the reason.
MUTATION_CHILDREN ?= 2
MUTATION_DB ?= sqlite
MUTATION_ENV_sqlite := FENGSHOU_TEST_SKIP_POSTGRES=1
# Leaves out each test's SQLite run (its id carries the backend's name).
MUTATION_ENV_postgresql := PYTEST_ADDOPTS="-k 'not sqlite'"
MUTATION_ENV_both :=
mutation: env catalogs
	$(if $(filter sqlite postgresql both,$(MUTATION_DB)),,$(error MUTATION_DB is sqlite, postgresql or both, not "$(MUTATION_DB)"))
	rm -rf mutants
	$(MUTATION_ENV_$(MUTATION_DB)) $(RUN) mutmut run --max-children $(MUTATION_CHILDREN)
	$(RUN) mutmut export-cicd-stats
	@cat mutants/mutmut-cicd-stats.json; echo
	$(RUN) mutmut results

clean:
	rm -rf .venv $(TOOLS) var/*.sqlite3* .pytest_cache .mypy_cache .ruff_cache mutants

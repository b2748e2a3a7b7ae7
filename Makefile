# Two commands do all the set-up: `make run` and `make test`. Everything else is for developers.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# The embedded default: SQLite, no broker, development settings.
RUN_ENV := DJANGO_DEBUG=1
MANAGE := $(RUN_ENV) $(BIN)/python manage.py

.PHONY: install run test test-clinical test-postgres test-celery-volume lint format migrations-check ci clean bench bench-quick

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	@$(MANAGE) migrate --noinput
	@$(MANAGE) load_demo
	@echo
	@echo "  The tracker is starting: sign in at http://$(HOST):$(PORT)/ with a demo user above"
	@echo "  The admin is at http://$(HOST):$(PORT)/admin/ ; Ctrl-C stops the server and the background jobs."
	@echo
	@$(MANAGE) run_dispatcher & dispatcher=$$!; \
	  trap 'kill $$dispatcher 2>/dev/null' EXIT INT TERM; \
	  $(MANAGE) runserver $(HOST):$(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# The same suite on the local PostgreSQL and Redis (what .ci/run does after the SQLite pass).
test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/15} $(BIN)/pytest $(PYTEST_ARGS)

# Only the 10,000-reminder Celery run (part of test-postgres too), for timing the send path.
test-celery-volume: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/15} $(BIN)/pytest -m celery_volume tests/reminders/test_volume.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# The clinical core's tests with Django switched off: no settings, no database.
test-clinical: install
	$(BIN)/pytest -p no:django tests/clinical -q

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(MANAGE) makemigrations --check --dry-run

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles .pytest_cache .ruff_cache

# The benchmark harness (bench/, docs/BENCHMARKS.md): the production stack on loopback against the
# local PostgreSQL (database "bench", dropped and recreated) and Redis (database 8). Not part of
# `make test`. The full run takes about 50 minutes and rewrites the results in docs/BENCHMARKS.md;
# the quick one (the 1,000-infant cohort, short rounds) about 10 and only writes bench/results/.
bench: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[bench]'
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-quick: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[bench]'
	BENCH_QUICK=1 $(BIN)/python -m bench --quick $(BENCH_ARGS)

# Một Cửa — developer commands. `make run` and `make test` are the two that matter.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests run against the real services (shared/docs/interfaces.md); override to point elsewhere.
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/motcua)
TEST_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/0)
TEST_ENV := DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	CELERY_BROKER_URL=$(or $(CELERY_BROKER_URL),$(TEST_REDIS_URL))
PYTEST_ARGS ?=

.PHONY: run test e2e lint format worker beat bench messages clean deps dev-deps services-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

deps: $(VENV)/.runtime
dev-deps: $(VENV)/.dev

run: deps
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

services-check: dev-deps
	@$(TEST_ENV) $(BIN)/python scripts/check_services.py

# Browser journeys run in a second pytest process: Playwright keeps an event loop running in
# the main thread for the whole session, which other tests' asyncio.run() (pyHanko) must not see.
test: dev-deps services-check
ifeq ($(strip $(PYTEST_ARGS)),)
	$(TEST_ENV) $(BIN)/pytest -m "not e2e"
	$(TEST_ENV) $(BIN)/pytest -m e2e tests/e2e tests/dossiers/web/test_pages_in_browser.py
else
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)
endif

e2e: dev-deps services-check
	$(TEST_ENV) $(BIN)/pytest -m e2e tests/e2e tests/dossiers/web/test_pages_in_browser.py $(PYTEST_ARGS)

lint: dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: dev-deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Performance harness (bench/run.py; shared/docs/benchmarks.md). BENCH_DOSSIERS=1000000 for the full run.
bench: deps
	@command -v wrk >/dev/null || bash scripts/install_system_packages.sh
	@$(TEST_ENV) $(BIN)/python scripts/check_services.py
	$(BIN)/python bench/run.py

worker: deps
	CELERY_DB_REUSE_MAX=1000 $(BIN)/celery -A portal worker --loglevel=INFO \
		--queues=$(or $(QUEUES),default,routing,notifications,documents,postal) \
		--concurrency=$(or $(CONCURRENCY),2)

beat: deps
	$(BIN)/celery -A portal beat --loglevel=INFO --schedule=var/celerybeat-schedule

messages: dev-deps
	$(BIN)/python manage.py makemessages -l vi -l en --ignore=.venv --ignore=var
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf var/db.sqlite3 var/media var/static

# BackTrack's front door: `make run` to try it, `make test` to check it.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium
JAVA ?= /usr/bin/java
# pytest-xdist workers for make test: one per core (TEST_WORKERS=0 runs in one process).
TEST_WORKERS ?= auto
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes
# Development defaults; a real deployment sets its own environment instead.
DEV_ENV := DEBUG=true

.PHONY: help run test lint format requirements backup restore bench clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements/base.txt | $(BIN)/python
	$(PIP_INSTALL) -r requirements/base.txt
	touch $@

$(VENV)/.dev: requirements/base.txt requirements/dev.txt | $(BIN)/python
	$(PIP_INSTALL) -r requirements/dev.txt -r requirements/base.txt
	touch $@ $(VENV)/.runtime

# Browser tests drive Debian's Chromium: Playwright cannot download its own here.
$(CHROMIUM):
	@if [ "$$(id -u)" != 0 ]; then \
		echo "Browser tests need Chromium: run 'sudo apt-get install chromium', then make test again." >&2; \
		exit 1; \
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

# The HTML check runs the Nu HTML Checker (npm's vnu-jar, pinned in package-lock.json) on Java.
$(JAVA):
	@if [ "$$(id -u)" != 0 ]; then \
		echo "The HTML check needs Java: run 'sudo apt-get install default-jre-headless', then make test again." >&2; \
		exit 1; \
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null

node_modules/.package-lock.json: package.json package-lock.json
	@if ! command -v npm >/dev/null; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "The HTML check installs its checker with npm: run 'sudo apt-get install npm', then make test again." >&2; \
			exit 1; \
		fi; \
		apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	fi
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

run: $(VENV)/.runtime  ## Set up, load the routine and demo accounts, and serve on http://127.0.0.1:8000
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py demo_data
	@echo "Serving BackTrack on http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	$(DEV_ENV) $(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

test: $(VENV)/.dev $(CHROMIUM) $(JAVA) node_modules/.package-lock.json  ## Run the whole suite, browser tests included
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(VENV)/.dev  ## ruff (lint and format), mypy, and bandit (no medium or high findings)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV_ENV) $(BIN)/mypy .
	$(BIN)/bandit --quiet --recursive --severity-level medium accounts audit config exercises tracking manage.py

format: $(VENV)/.dev  ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

requirements: $(VENV)/.dev  ## Re-pin requirements/*.txt from requirements/*.in
	cd requirements && ../$(BIN)/pip-compile -q --allow-unsafe --strip-extras --generate-hashes base.in -o base.txt
	cd requirements && ../$(BIN)/pip-compile -q --allow-unsafe --strip-extras --generate-hashes dev.in -o dev.txt

bench: $(VENV)/.dev  ## Time the progress page with two years of daily sessions (median, p95)
	$(BIN)/python bench/progress_page.py

backup: $(VENV)/.runtime  ## Back up the whole database to backups/ (or to OUTPUT=path)
	$(DEV_ENV) $(BIN)/python manage.py backup $(if $(OUTPUT),--output "$(OUTPUT)")

restore: $(VENV)/.runtime  ## Replace the whole database with a backup: make restore FILE=backups/...
	@if [ -z "$(FILE)" ]; then echo "Say which backup: make restore FILE=backups/backtrack-....sqlite3" >&2; exit 1; fi
	$(DEV_ENV) $(BIN)/python manage.py restore "$(FILE)"

clean:  ## Remove the virtual environment, caches and collected static files
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .mypy_cache .ruff_cache

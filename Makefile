# The two commands: `make dev` (local stack on http://127.0.0.1:3000 with demo data) and
# `make test` (everything CI runs). Both install what they need on a fresh machine.

PYENV_312 := /root/.pyenv/versions/3.12.1/bin/python3.12
PYTHON ?= $(firstword $(wildcard $(PYENV_312)) $(shell command -v python3.12 2>/dev/null) $(shell command -v python3 2>/dev/null))
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 3000
ARGS ?=# more options of `python -m ocop_local serve`, e.g. `make dev ARGS=--no-demo`
PROCESSES ?= 2# worker processes of the functions, moto in its own (0: one process; docs/PERFORMANCE.md)
# pytest-xdist workers for `make test`, `make integration` and `make e2e`: one per core
# (CI has 2); WORKERS=0 runs in this process. A test module stays on one worker (loadfile):
# module fixtures such as the e2e local stack start once. docs/PERFORMANCE.md, "Test suite time".
WORKERS ?= auto
XDIST = -n $(WORKERS) --dist loadfile

include infra/sam.mk

.PHONY: venv dev test unit integration e2e lint format typecheck bench clean browser migrate screenshots

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml cli/pyproject.toml
	@test -n "$(PYTHON)" || { echo "need python3.12 (or python3) on PATH" >&2; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[print,dev]' -e ./cli
	@touch $@

dev: venv
	$(PY) -m ocop_local serve --host $(HOST) --port $(PORT) --processes $(PROCESSES) $(ARGS)

# Every tier (tests/unit, tests/integration, tests/e2e, in that order) plus the linters.
# The template checks of `make lint-template` (cfn-lint, `sam validate --lint`, cfn-lint on
# the SAM transform's output) run inside the integration tier (tests/integration/test_template.py),
# in parallel with the rest; OCOP_REQUIRE_SAM=1 makes them fail rather than skip without .venv-sam.
test: venv sam-venv browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo
	OCOP_REQUIRE_SAM=1 $(VENV)/bin/pytest -q $(XDIST)

# Headless Chromium from Debian for the consumer-page browser tests (Playwright drives it
# with executable_path; no browser download). Without root or apt the tests skip, saying why.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "make browser: no /usr/bin/chromium and no root to apt-get it: browser tests will be skipped" >&2; fi

# The tiers one by one (see tests/conftest.py). unit: domain logic on plain data, no AWS,
# no network, under a minute (the fuzzing plugins it never uses are not loaded);
# integration: handlers on events/ against moto, the CLI against a stub, cfn-lint/SAM;
# e2e: the local stack over real HTTP, the browser, fuzzing, concurrency.
unit: venv
	$(VENV)/bin/pytest -q -p no:schemathesis -p no:anyio tests/unit

integration: venv sam-venv
	OCOP_REQUIRE_SAM=1 $(VENV)/bin/pytest -q $(XDIST) tests/integration

e2e: venv browser
	$(VENV)/bin/pytest -q $(XDIST) tests/e2e

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: venv
	$(VENV)/bin/mypy layers/domain/ocop_stamps infra/local/ocop_local

# Bring stored catalog items to today's shape (docs/OPERATIONS.md, "Migrations"): the tables named by
# the environment (CATALOG_TABLE, AWS_REGION, credentials). ARGS=--dry-run counts without writing.
migrate: venv
	PYTHONPATH=layers/domain $(PY) -m ocop_stamps.migration $(ARGS)

# The README's pictures: the browser tests' screenshots (phone, 360 px), written to
# docs/screenshots/ instead of .local/screenshots/. Re-run after a page changes; commit them.
SCREENSHOTS = console-overview.png console-lot-steps.png console-summary-phone.png \
	console-field-check-phone.png console-onboard.png genuine.png
screenshots: venv browser
	rm -rf .local/readme-shots && mkdir -p .local/readme-shots docs/screenshots
	OCOP_SCREENSHOTS=$(CURDIR)/.local/readme-shots $(VENV)/bin/pytest -q $(XDIST) -p no:schemathesis \
		tests/e2e/test_console_browser.py tests/e2e/test_console_producer_jobs.py \
		tests/e2e/test_console_inspector_browser.py tests/e2e/test_console_admin_browser.py \
		tests/e2e/test_browser.py
	cd .local/readme-shots && cp $(SCREENSHOTS) $(CURDIR)/docs/screenshots/

bench: venv
	$(PY) tests/perf/bench.py

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .ruff_cache .mypy_cache

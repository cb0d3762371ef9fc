# Two commands for a newcomer: `make lab` and `make test`. Both create the virtual
# environment on first use and reuse it afterwards.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.aekit-installed
PYTEST_ARGS ?=
LAB_PORT ?= 8888
# nbgrader's generate step calls the `alembic` executable: the environment's bin goes first.
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: lab test test-fast setup system-deps bench binder-link clean help

help:
	@echo "make lab        set up (first time) and open the lessons in JupyterLab"
	@echo "make test       set up (first time) and run the whole test suite"
	@echo "make test-fast  unit tests only, no lessons or browser"
	@echo "make bench      speed benchmark of the training loop"
	@echo "make binder-link  the Binder link and badge of this clone (from its git remote)"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[lab,test,dev]"
	@touch $(STAMP)

setup: $(STAMP) system-deps

# Fashion-MNIST and Chromium come from Debian's packages. They are installed where apt-get
# exists and we may use it (root, or sudo without a password); elsewhere we say so and go on:
# every lesson falls back to the embedded digits, and the browser test skips with its reason.
system-deps:
	@need=""; \
	for pkg in dataset-fashion-mnist chromium; do \
	  dpkg -s $$pkg >/dev/null 2>&1 || need="$$need $$pkg"; \
	done; \
	if [ -z "$$need" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "note: no apt-get here; not installing$$need (lessons use the digits data; the browser test will skip)"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else echo "note: apt-get needs root; not installing$$need. Run: sudo apt-get install$$need"; exit 0; fi; \
	echo "installing Debian packages:$$need"; \
	$$sudo apt-get update -qq >/dev/null && \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$need >/dev/null \
	  || echo "note: apt-get could not install$$need; going on without"

lab: setup
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] || [ "$$(uname)" = Darwin ]; then nb=""; else nb="--no-browser"; fi; \
	if [ "$$(id -u)" = 0 ]; then nb="$$nb --allow-root"; fi; \
	echo "Starting JupyterLab on lessons/ (Ctrl-C to stop); open the URL it prints."; \
	$(VENV)/bin/jupyter lab --notebook-dir=lessons --port=$(LAB_PORT) $$nb

# The whole suite, then every lesson once more on torch's portable CPU kernels (no vector
# instructions, as on other processors): an output nbval compares that depends on floating-point
# details fails here, not on a student's laptop.
test: setup
	MPLBACKEND=Agg $(PY) -m pytest $(PYTEST_ARGS)
	ATEN_CPU_CAPABILITY=default MPLBACKEND=Agg $(PY) -m pytest lessons $(PYTEST_ARGS)

test-fast: $(STAMP)
	MPLBACKEND=Agg $(PY) -m pytest tests/unit -m "not slow" $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m aekit.bench fit

binder-link:
	@$(PYTHON) tools/binder_link.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache tests/browser/screenshots

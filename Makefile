# Two commands for a newcomer: `make lab` and `make test`. Both create the virtual
# environment on first use and reuse it afterwards.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.aekit-installed
PYTEST_ARGS ?=
LAB_PORT ?= 8888
# `make site SITE_ARGS="--lessons 01 05"` builds some lessons only; SITE_REPO is the GitHub
# repository the pages' Binder buttons open.
SITE_ARGS ?=
SITE_REPO ?= https://github.com/OWNER/aekit
# nbgrader's generate step calls the `alembic` executable: the environment's bin goes first.
export PATH := $(abspath $(VENV))/bin:$(PATH)

.PHONY: lab test test-fast site setup system-deps bench clean help

help:
	@echo "make lab        set up (first time) and open the lessons in JupyterLab"
	@echo "make test       set up (first time) and run the whole test suite"
	@echo "make test-fast  unit tests only, no lessons or browser"
	@echo "make bench      speed benchmark of the training loop"
	@echo "make site       the course as a static website in site/ (sliders work without a kernel)"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[lab,test,site]"
	@touch $(STAMP)

setup: $(STAMP) system-deps

# Fashion-MNIST, Chromium and npm (MathJax for `make site`) come from Debian's packages. They
# are installed where apt-get exists and we may use it (root, or sudo without a password);
# elsewhere we say so and go on: every lesson falls back to the embedded digits, and the
# browser tests skip with their reason.
system-deps:
	@need=""; \
	for pkg in dataset-fashion-mnist chromium; do \
	  dpkg -s $$pkg >/dev/null 2>&1 || need="$$need $$pkg"; \
	done; \
	command -v npm >/dev/null 2>&1 || need="$$need npm"; \
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

test: setup
	MPLBACKEND=Agg $(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	MPLBACKEND=Agg $(PY) -m pytest tests/unit -m "not slow" $(PYTEST_ARGS)

# Executes every lesson in export mode (kept in build/site and reused while nothing changed),
# then publishes them with Jupyter Book; MathJax comes from npm's mathjax package.
site: setup
	SITE_REPO=$(SITE_REPO) $(PY) -m aekit.site $(SITE_ARGS)

bench: $(STAMP)
	$(PY) -m aekit.bench fit

clean:
	rm -rf $(VENV) build site *.egg-info .pytest_cache tests/browser/screenshots

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
# repository the pages' Binder buttons open: by default the one this clone's `origin` names.
SITE_ARGS ?=
SITE_REPO ?= $(shell $(PYTHON) tools/binder_link.py --repository 2>/dev/null)
# nbgrader's generate step calls the `alembic` executable: the environment's bin goes first.
export PATH := $(abspath $(VENV))/bin:$(PATH)

# The course's JupyterHub (hub/): where it keeps its environment, proxy, exchange and state.
HUB_DIR ?= /srv/aekit-hub
HUB_PORT ?= 8000
HUB_VENV := $(HUB_DIR)/venv
# Every user runs the hub's environment, so its Python must be one they can all run: the
# system's (a Python under root's or someone's home, such as pyenv's, is not).
HUB_PYTHON ?= /usr/bin/python3
HUB_STAMP := $(HUB_VENV)/.aekit-hub-installed
HUB_PROXY := $(HUB_DIR)/proxy/node_modules/.bin/configurable-http-proxy
# 4.6 runs on Debian 12's Node 18 as well as on newer ones (5.x wants Node 20).
CHP_VERSION ?= 4.6.3
HUB_ENV = AEKIT_HUB_DIR=$(HUB_DIR) AEKIT_HUB_VENV=$(HUB_VENV) AEKIT_HUB_PROXY=$(HUB_PROXY)

.PHONY: lab test test-fast setup system-deps bench binder-link site clean help hub hub-env hub-user \
        hub-release hub-load hub-test-deps

help:
	@echo "make lab        set up (first time) and open the lessons in JupyterLab"
	@echo "make test       set up (first time) and run the whole test suite"
	@echo "make test-fast  unit tests only, no lessons or browser"
	@echo "make bench      speed benchmark of the training loop"
	@echo "make binder-link  the Binder link and badge of this clone (from its git remote)"
	@echo "make hub        (root) install and start the course's JupyterHub on 127.0.0.1:$(HUB_PORT)"
	@echo "make hub-user NAME=ada ROLE=student|instructor   (root) add a user of the course"
	@echo "make hub-release ASSIGNMENT=kl_sparsity INSTRUCTOR=grace   (root) release to the hub"
	@echo "make hub-load   (root) ten students fetch and submit at once; autograde timings"
	@echo "make site       the course as a static website in site/ (sliders work without a kernel)"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[lab,test,dev,hub,site]"
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

# The whole suite, then every lesson once more on torch's portable CPU kernels (no vector
# instructions, as on other processors): an output nbval compares that depends on floating-point
# details fails here, not on a student's laptop.
test: setup hub-test-deps
	$(HUB_ENV) MPLBACKEND=Agg $(PY) -m pytest $(PYTEST_ARGS)
	ATEN_CPU_CAPABILITY=default MPLBACKEND=Agg $(PY) -m pytest lessons $(PYTEST_ARGS)

test-fast: $(STAMP)
	MPLBACKEND=Agg $(PY) -m pytest tests/unit -m "not slow" $(PYTEST_ARGS)

# Executes every lesson in export mode (kept in build/site and reused while nothing changed),
# then publishes them with Jupyter Book; MathJax comes from npm's mathjax package.
site: setup
	SITE_REPO=$(SITE_REPO) $(PY) -m aekit.site $(SITE_ARGS)

bench: $(STAMP)
	$(PY) -m aekit.bench fit

binder-link:
	@$(PYTHON) tools/binder_link.py

# ---------------------------------------------------------------- the course's JupyterHub
# The hub's environment is its own, outside the repository, readable by every user: a
# student's server runs it, and must not be able to read the repository (it holds the
# solutions). aekit is installed from a built copy, not in editable mode, for that reason.
$(HUB_STAMP): pyproject.toml $(shell find aekit -name '*.py' -o -name '*.txt' 2>/dev/null)
	@test "$$(id -u)" = 0 || { echo "error: the hub is set up as root (try: sudo make hub)"; exit 1; }
	@mkdir -p $(HUB_DIR) && chmod 755 $(HUB_DIR)
	@if ! $(HUB_PYTHON) -c "import venv, ensurepip" 2>/dev/null; then \
	  command -v apt-get >/dev/null 2>&1 || { echo "error: $(HUB_PYTHON) with venv is needed (set HUB_PYTHON)"; exit 1; }; \
	  echo "installing Debian packages: python3 python3-venv"; \
	  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null; \
	fi
	@test -x $(HUB_VENV)/bin/python || $(HUB_PYTHON) -m venv $(HUB_VENV)
	@echo "installing the course environment into $(HUB_VENV) (CPU torch, aekit, JupyterHub)"
	$(HUB_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
	$(HUB_VENV)/bin/python -m pip install --quiet --disable-pip-version-check ".[lab,hub]"
	$(HUB_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall .
	@rm -rf build
	@chmod -R a+rX $(HUB_VENV)
	@touch $@

# configurable-http-proxy from npm, into $(HUB_DIR)/proxy; Node and npm from Debian if missing.
$(HUB_PROXY):
	@test "$$(id -u)" = 0 || { echo "error: the hub is set up as root (try: sudo make hub)"; exit 1; }
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	  command -v apt-get >/dev/null 2>&1 || { echo "error: Node.js and npm are needed for the hub's proxy; install them"; exit 1; }; \
	  echo "installing Debian packages: nodejs npm"; \
	  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; \
	fi
	@mkdir -p $(HUB_DIR)/proxy
	npm install --prefix $(HUB_DIR)/proxy --no-audit --no-fund --loglevel=error configurable-http-proxy@$(CHP_VERSION)
	@test -x $@

hub-env: $(HUB_STAMP) $(HUB_PROXY)

hub: hub-env
	$(HUB_ENV) $(HUB_VENV)/bin/python -m hub.admin install
	@echo "Starting JupyterHub on http://127.0.0.1:$(HUB_PORT) (Ctrl-C to stop)."
	$(HUB_ENV) AEKIT_HUB_PORT=$(HUB_PORT) $(HUB_VENV)/bin/python -m hub.admin start

# A user of the course: NAME=login ROLE=student or instructor (an instructor gets ~/aekit).
hub-user: hub-env
	@test -n "$(NAME)" -a -n "$(ROLE)" || { echo "usage: sudo make hub-user NAME=ada ROLE=student (or ROLE=instructor)"; exit 2; }
	@$(HUB_ENV) $(HUB_VENV)/bin/python -m hub.admin install
	$(HUB_ENV) $(HUB_VENV)/bin/python -m hub.admin add-user $(NAME) --role $(ROLE)
	@if [ -t 0 ]; then passwd $(NAME); else echo "set $(NAME)'s password with: sudo passwd $(NAME)"; fi

# Generate an assignment (checked for leaked solutions) and release it to the exchange.
hub-release: hub-env
	@test -n "$(ASSIGNMENT)" -a -n "$(INSTRUCTOR)" || { echo "usage: sudo make hub-release ASSIGNMENT=kl_sparsity INSTRUCTOR=grace"; exit 2; }
	$(HUB_ENV) $(HUB_VENV)/bin/python -m hub.admin release $(ASSIGNMENT) --instructor $(INSTRUCTOR)

hub-load: hub-env
	$(HUB_ENV) $(HUB_VENV)/bin/python -m hub.load

# What the hub test needs, where it can be had (root); elsewhere that test skips and says why.
hub-test-deps:
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "note: not root, so the JupyterHub test will skip (it creates system users)"; \
	else $(MAKE) --no-print-directory hub-env || \
	  echo "note: the hub's environment could not be installed; the JupyterHub test will skip"; fi

clean:
	rm -rf $(VENV) build site *.egg-info .pytest_cache tests/browser/screenshots

# The two set-up commands: `make run` (main job on the embedded defaults) and `make test`.
# Both install what they need: Debian packages, a venv, pinned Python deps.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
# Byte-code goes beside the venv, never into the tree, and only for modules that are imported: pip installs
# without compiling (a third of its time, mostly torch files the studio never imports).
unexport PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX := $(CURDIR)/$(VENV)/pycache
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PKGS := fluidsynth libfluidsynth3 fluid-soundfont-gm musescore-general-soundfont
APT_TEST_PKGS := chromium

.PHONY: run test install install-dev system system-test ui bench lint clean fuzz

run: install
	$(BIN)/studio demo --out outputs/demo

test: install-dev
	bash tools/run_tests.sh

ui: install
	$(BIN)/pip install -q --no-compile -e ".[ui]"
	$(BIN)/python app.py

bench: install-dev
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

# the long fuzz run: 10,000 examples per family (MIDI; emotion/text/job files), 30 s hang guard per call,
# fails over 1.5 GB peak RSS; figures in bench/results/fuzz.json (the fast slice runs in `make test`)
FUZZ_EXAMPLES ?= 10000
fuzz: install-dev
	STUDIO_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) STUDIO_FUZZ_REPORT=bench/results/fuzz.json \
	  nice -n 5 $(BIN)/python -m pytest -q -p no:cacheprovider tests/fuzz

lint: install-dev
	$(BIN)/ruff check studio tests bench app.py

system:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

system-test: system
	@missing=""; for p in $(APT_TEST_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --no-compile -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --no-compile -e ".[dev]"
	touch $@ $(VENV)/.installed

install: system $(VENV)/.installed

install-dev: system-test $(VENV)/.installed-dev

clean:
	rm -rf $(VENV) outputs .pytest_cache .ruff_cache

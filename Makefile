# Two commands set everything up on a fresh machine:
#   make chat   — install OS1 and start `os1 chat` on the embedded model
#   make test   — install OS1 with its test tools and run the whole test suite
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
LLAMA_CPP_VERSION := 0.3.36
# `make test` draws the same Hypothesis examples every run (see tests/conftest.py);
# `make test HYPOTHESIS_PROFILE=dev` explores new ones.
HYPOTHESIS_PROFILE ?= ci
# A portable llama.cpp build (no -march=native): runs on any x86-64 CPU, AMX ones included.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF

.PHONY: chat test install install-test system-packages system-packages-test check bench clean

chat: install system-packages
	$(VENV)/bin/os1 chat

test: install-test system-packages-test
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy
	OS1_REQUIRE_POSTGRES=1 HYPOTHESIS_PROFILE=$(HYPOTHESIS_PROFILE) $(PY) -m pytest -q

check: install-test
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

bench: install-test
	$(PY) bench/turn_latency.py

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Debian packages the features and tests drive for real (espeak-ng, chromium, dovecot, fonts):
# installed with apt-get as root, with sudo otherwise, or one line saying what to run.
system-packages:
	@scripts/system-packages chat
system-packages-test:
	@scripts/system-packages test

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# llama-cpp-python is compiled from source the first time (minutes on a laptop, up to
# ~20 on 2 slow cores). pip caches the wheel, so fresh checkouts and CI reuse it; this
# step is skipped entirely when the venv already has it.
$(VENV)/.llama: | $(PY)
	@if $(PY) -c "import llama_cpp, sys; sys.exit(llama_cpp.__version__ != '$(LLAMA_CPP_VERSION)')" 2>/dev/null; then \
		echo "llama-cpp-python $(LLAMA_CPP_VERSION) already installed"; \
	else \
		echo ">>> Installing llama-cpp-python $(LLAMA_CPP_VERSION). The first time on a machine it is"; \
		echo ">>> built from source: this takes several minutes; progress [step/total] follows."; \
		$(PY) -m pip install -v "llama-cpp-python==$(LLAMA_CPP_VERSION)" 2>&1 \
			| grep --line-buffered -E '^\s*\[[0-9]+/[0-9]+\]|Using cached|Successfully|ERROR|error:' \
			| cut -c1-100; \
	fi
	@touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.llama
	$(PY) -m pip install -q -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.llama
	$(PY) -m pip install -q -e '.[test]'
	@touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) .pytest_cache

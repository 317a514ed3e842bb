# outage-reliance: `make figures` (the main job) and `make test`; `make help` lists the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FIGURES ?= figures

.DEFAULT_GOAL := help
.PHONY: help setup chromium figures test lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12

# The environment is rebuilt when pyproject.toml changes or the venv is missing or broken.
$(STAMP): pyproject.toml
	@$(BIN)/python -c "import sys" 2>/dev/null || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

setup: $(STAMP) chromium ## create .venv and install the project and its tools (quick when current)

chromium: ## install Debian's chromium where missing (PNG export, browser tests)
	@./scripts/ensure-chromium

figures: setup ## the main job: write every figure to figures/ (HTML offline, PNG)
	$(BIN)/python -m analysis figures --out $(FIGURES)

test: setup ## lint, then run the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff check only
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean: ## remove generated figures and caches (keeps .venv)
	rm -rf $(FIGURES) reports .pytest_cache .ruff_cache .hypothesis

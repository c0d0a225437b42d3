# bench-agent — `make help` lists the targets.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(BIN)/bench-agent: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[central,dev]'
	@touch $@

setup: $(BIN)/bench-agent ## Create .venv and install bench-agent with all extras

run: setup ## Run the bench app on this machine
	$(BIN)/bench-agent

inventory: setup ## Print this machine's inventory (French)
	$(BIN)/bench-agent inventory

test: setup ## Run the whole test suite
	$(BIN)/pytest $(PYTEST_ARGS)

lint: setup ## ruff format check + ruff lint
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: setup ## Format the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

types: setup ## mypy strict on bench_agent and wipe
	$(BIN)/mypy

contracts: setup ## import-linter contracts (wipe standalone, headless core)
	$(BIN)/lint-imports

check: lint types contracts test ## Everything CI checks

i18n: setup ## Messages: extract (new msgids to translate), check the English, compile the .mo
	$(BIN)/python tools/i18n_catalogue.py update
	$(BIN)/python tools/i18n_catalogue.py check
	$(BIN)/python tools/i18n_catalogue.py compile

image: ## Build the bench stick image build/bench-stick.img (root; docs/stick.md)
	packaging/build-image.sh

bench: setup ## Run the benchmarks (figures go in the README)
	$(BIN)/python benchmarks/run_all.py

.PHONY: help setup run inventory test lint format types contracts check i18n image bench

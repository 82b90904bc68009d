# The two commands a newcomer needs: `make demo` and `make test`.
# Each sets itself up: a venv in .venv, kview installed into it, and Apache
# Kafka's jars fetched and the schema registry (Apicurio Registry) built, once,
# with Maven into the user cache directory.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml setup.py | cksum | cut -d' ' -f1)

.PHONY: demo test test-fast lint fuzz screenshots bench jars clean

$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

jars: $(STAMP)
	$(BIN)/python -m kview.local.cluster fetch --tested
	$(BIN)/python -m kview.local.registry fetch

## Start a local Kafka cluster with live traffic and open kview on it.
demo: jars
	$(BIN)/kview demo

## Run the whole test suite (unit, integration on real Kafka, headless UI),
## in TEST_WORKERS processes (pytest-xdist; each starts its own local Kafka).
TEST_WORKERS ?= 2
test: jars
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadgroup

## Lint and format check (ruff) and type check (mypy), as configured in
## pyproject.toml; .ci/run runs it before the tests.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Only the tests that need no Kafka.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

fuzz: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit --hypothesis-profile=fuzz

screenshots: jars
	$(BIN)/python screenshots/make_screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

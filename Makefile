# Every target sets up what it needs (.venv, node_modules) and is safe to run twice.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAGE ?= dev
# The workers' image (make worker-image): tag it with your registry, as cdk.json's worker_image names it.
WORKER_IMAGE ?= orders-workers:0.2.0
export PATH := $(CURDIR)/$(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_VERSION_CHECK := 1
CDK := node_modules/.bin/cdk
# The local cloud: port, and its one clock: every duration it honours x this factor (retries in seconds, not minutes).
export LOCALCLOUD_PORT ?= 4599
export LOCALCLOUD_TIME_SCALE ?= 0.02

.PHONY: help install synth test test-fast soak snapshots lint worker-image deploy diagram asyncapi clean bench up down demo

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

.make/python-deps: $(BIN)/python requirements.txt requirements-dev.txt pyproject.toml runtime/pyproject.toml lambdas/pyproject.toml tools/eventctl/pyproject.toml
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@mkdir -p .make && touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

install: .make/python-deps node_modules/.package-lock.json  ## create .venv and node_modules

synth: install  ## cdk synth of every stack into cdk.out/, cdk-nag included (fails on any finding)
	$(CDK) synth --quiet -c stage=$(STAGE)

# The suite on every core (pytest-xdist; tests/conftest.py keeps the handler tests with the test that
# judges them); then the end-to-end tests on their own, so that no other test competes with their cloud.
WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

test: install  ## the whole test suite, end-to-end tests on a local cloud of their own included
	$(BIN)/pytest -n $(WORKERS) -m "not e2e"
	$(BIN)/pytest tests/e2e

test-fast: install  ## the suite without the end-to-end tests
	$(BIN)/pytest -n $(WORKERS) -m "not e2e"

soak: install  ## generated histories of the whole pipeline against every invariant (HISTORIES=10000 by default)
	set -o pipefail; EXACTLY_ONCE_SOAK=1 HISTORIES=$(or $(HISTORIES),10000) $(BIN)/pytest tests/properties -q -s \
		-o addopts="-ra --strict-markers" | grep -v '^{"level"'

up: install  ## start the local cloud (moto + localcloud.compat) in the background, or reuse it
	$(BIN)/python -m localcloud up

down:  ## stop the local cloud
	@if [ -x $(BIN)/python ]; then $(BIN)/python -m localcloud down; fi

demo: install  ## local cloud + cdk bootstrap/deploy + one of every path through the app, then a report
	$(BIN)/python -m localcloud.demo

snapshots: install  ## rewrite the template snapshots after an intended change
	$(BIN)/pytest tests/app/test_snapshots.py --snapshot-update

lint: install  ## ruff + mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app.py event_constructs runtime/event_runtime runtime/event_routing stacks lambdas schemas tools/eventctl/eventctl localcloud bench

worker-image: install  ## build the workers' image from this checkout's wheels (needs Docker): WORKER_IMAGE=<registry>/orders-workers:<tag>
	rm -rf .make/worker-image && mkdir -p .make/worker-image
	$(BIN)/pip wheel --quiet --no-deps -w .make/worker-image ./runtime ./lambdas
	docker build -f Dockerfile.worker -t $(WORKER_IMAGE) .make/worker-image

deploy: install  ## cdk deploy --all to the account in your credentials
	$(CDK) deploy --all -c stage=$(STAGE) --require-approval broadening

diagram: synth  ## redraw docs/architecture.svg and .png from cdk.out (graphviz-pure, from PyPI)
	$(BIN)/eventctl diagram --cdk-out cdk.out --output docs/architecture

asyncapi: synth  ## redraw docs/asyncapi.yaml (the AsyncAPI 3.0 document of the app) from cdk.out
	$(BIN)/python -m schemas.asyncapi --cdk-out cdk.out --output docs/asyncapi.yaml

bench: install  ## the benchmarks, ratios measured in one run (BENCH_ARGS=--tests adds the test suite)
	$(BIN)/pip install --quiet -r bench/requirements.txt
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:  ## remove generated files (keeps .venv and node_modules)
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache .make .localcloud bench/results.json

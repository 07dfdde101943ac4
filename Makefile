# The two commands in the README: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test lint typecheck unit interop install generate bench mutation clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Dependencies are installed when pyproject.toml changes; the project itself is reinstalled
# on every run (a real, non-editable install: generated/ and mock_server/ only exist inside
# the sdcontracts namespace once installed, and the tests then exercise the shipped layout).
$(VENV)/.deps: pyproject.toml | $(BIN)/python
	$(PIP) install ".[test]"
	@touch $@

install: $(VENV)/.deps
	$(PIP) install --no-deps --force-reinstall .

# The main job: the conformance suite for all five providers against the embedded mock.
demo: install
	$(BIN)/sdcontracts conformance --target mock --examples 100 --seed 2026

lint: install
	$(BIN)/ruff check src tests contract_tests bench mock_server mutation
	$(BIN)/ruff format --check src tests contract_tests bench mock_server mutation

# mypy checks the installed package: it is what ships, with generated/ and mock_server/ in it.
typecheck: install
	$(BIN)/mypy --strict -p sdcontracts

generate: install
	$(BIN)/sdcontracts generate
	$(PIP) install --no-deps --force-reinstall .

# Benchmarks (never part of `make test`): writes bench/RESULTS.md. BENCH_ARGS=--quick for a smoke run.
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

# Mutation testing (never part of `make test`): cosmic-ray mutates the installed modules listed in
# mutation/targets.py, each judged by its focused tests; writes mutation/RESULTS.md and fails when a
# module misses its score. MUTATION_ARGS="--only engine" for one module, "--sample 20" for a short run.
$(VENV)/.mutation-deps: pyproject.toml | $(BIN)/python
	$(PIP) install ".[test,mutation]"
	@touch $@

mutation: $(VENV)/.mutation-deps install
	$(BIN)/python -m mutation $(MUTATION_ARGS)

unit: install
	$(BIN)/python -m pytest

test: lint typecheck unit

# Schemathesis with each provider's OpenAPI export, harder than in `make test`: in-process with more
# generated requests per operation, its coverage phase and more lifecycles; and its command line over
# HTTP against `sdcontracts mock serve`, every phase, all five providers (Tensor.Art included), more
# stateful scenarios. -s shows each provider's line: links followed, lifecycles completed.
interop: install
	SDCONTRACTS_INTEROP_EXAMPLES=100 SDCONTRACTS_INTEROP_COVERAGE=1 SDCONTRACTS_INTEROP_LIFECYCLES=20 \
	SDCONTRACTS_INTEROP_PHASES=examples,coverage,fuzzing,stateful SDCONTRACTS_INTEROP_SCENARIOS=100 \
	SDCONTRACTS_INTEROP_CLI=aliyun,novita,picpik,tensorart,zhiqite \
		$(BIN)/python -m pytest -s tests/test_interop.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis .mutation

# Two commands matter: `make demo` and `make test`. Everything installs itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
# The TypeScript SDK (typescript/): node_modules from the committed lock, installed
# again only when package.json or package-lock.json change.
TS := typescript
NPM_STAMP := $(TS)/node_modules/.installed

.PHONY: install generate check-generated lint test pytest demo bench mutation serve lock clean browser ts-build ts-test

install: $(STAMP) $(NPM_STAMP)

$(STAMP): pyproject.toml requirements/dev.lock requirements/crewai-nodeps.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check pip==25.3
	$(PY) -m pip install -q --disable-pip-version-check -c requirements/dev.lock -e '.[dev]'
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -r requirements/crewai-nodeps.txt
	touch $(STAMP)

$(NPM_STAMP): $(TS)/package.json $(TS)/package-lock.json
	cd $(TS) && npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

generate: $(STAMP) $(NPM_STAMP)
	scripts/generate.sh generated/sentrial_api $(TS)/src/generated/schema.ts

check-generated: $(STAMP) $(NPM_STAMP)
	scripts/check-generated.sh

lint: $(STAMP) $(NPM_STAMP)
	$(PY) -m openapi_spec_validator openapi/sentrial.yaml
	$(BIN)/ruff check sentrial tests bench scripts
	$(BIN)/ruff format --check sentrial tests bench scripts
	$(BIN)/mypy --strict sentrial tests bench scripts/mutation.py
	$(BIN)/mypy --strict -p sentrial_api
	cd $(TS) && node_modules/.bin/tsc -p tsconfig.json --noEmit && node_modules/.bin/tsc -p tsconfig.examples.json

# .venv-legacy (tests/_venvs.py: protobuf 5.29 packages for tests/test_legacy_integrations.py)
# takes 35-55 s to build (295 MB), so it builds in the background while the checks run;
# pytest waits on its file lock if it is not done yet (and reports pip's error if it failed).
#
# Every suite runs even when one fails (scripts/run-suites.sh), then a summary names
# the failed ones and the exit status is non-zero.
SUITES := browser check-generated lint ts-test pytest
test: $(STAMP)
	mkdir -p test-artifacts && $(PY) -m tests._venvs legacy >test-artifacts/legacy-venv.log 2>&1 &
	MAKE="$(MAKE)" scripts/run-suites.sh $(SUITES)

# Python's tests (and the package's doctests), two workers.
pytest: $(STAMP)
	$(PY) -m pytest -q -n 2

# The TypeScript SDK's tests (Node's test runner) against a real `sentrial serve`
# and the LLM stand-in from .venv.
ts-build: $(NPM_STAMP)
	cd $(TS) && rm -rf dist && node_modules/.bin/tsc -p tsconfig.json && npm run --silent copy-data

ts-test: $(STAMP) ts-build
	cd $(TS) && node --test --test-concurrency=2 dist/test/*.test.js

# Debian's Chromium for the viewer's browser test (Playwright drives it; no download
# of its own browser).
# apt/dpkg output goes to a log file; the console gets one summary line.
BROWSER_LOG := test-artifacts/browser-install.log
browser:
	@command -v chromium >/dev/null 2>&1 && exit 0; \
	mkdir -p test-artifacts; \
	SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	if { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	     $$SUDO apt-get install -y -qq --no-install-recommends chromium; } >$(BROWSER_LOG) 2>&1; then \
	  echo "browser: installed $$(chromium --version 2>/dev/null || echo chromium) (apt log: $(BROWSER_LOG))"; \
	else \
	  echo "browser: installing Debian's chromium failed; last lines of $(BROWSER_LOG):" >&2; \
	  tail -n 15 $(BROWSER_LOG) >&2; exit 1; \
	fi

demo: $(STAMP)
	$(PY) examples/demo.py

bench: $(STAMP) ts-build
	$(PY) -m bench.run

# Mutation testing (mutmut) of the delivery engine, payload capture, cost and the
# server's storage, each in its own copy of the tree under /tmp/sentrial-mutation
# with only the tests that cover it; scores per module in test-artifacts/mutation.txt.
mutation: $(STAMP)
	$(PY) scripts/mutation.py

serve: $(STAMP)
	$(BIN)/sentrial serve

lock:
	$(PY) -m pip freeze --exclude-editable | grep -v '^#' > /tmp/sentrial-freeze.txt
	{ echo "# Exact versions of every dev/test dependency (pip constraints). Refresh: make lock"; cat /tmp/sentrial-freeze.txt; } > requirements/dev.lock

clean:
	rm -rf $(TS)/node_modules $(TS)/dist
	rm -rf $(VENV) .venv-published .venv-published.lock .venv-legacy .venv-legacy.lock dist build .pytest_cache .mypy_cache .ruff_cache

# Two commands matter: `make demo` and `make test`. Everything installs itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed

.PHONY: install generate check-generated lint test demo bench serve lock clean browser

install: $(STAMP)

$(STAMP): pyproject.toml requirements/dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check pip==25.3
	$(PY) -m pip install -q --disable-pip-version-check -c requirements/dev.lock -e '.[dev]'
	touch $(STAMP)

generate: $(STAMP)
	scripts/generate.sh generated/sentrial_api

check-generated: $(STAMP)
	scripts/check-generated.sh

lint: $(STAMP)
	$(PY) -m openapi_spec_validator openapi/sentrial.yaml
	$(BIN)/ruff check sentrial tests
	$(BIN)/ruff format --check sentrial tests
	$(BIN)/mypy --strict sentrial tests
	$(BIN)/mypy --strict -p sentrial_api

test: $(STAMP) browser
	$(MAKE) check-generated
	$(MAKE) lint
	$(PY) -m pytest -q

# Debian's Chromium for the viewer's browser test (Playwright drives it; no download
# of its own browser).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium; }

demo: $(STAMP)
	$(PY) examples/demo.py

bench: $(STAMP)
	$(PY) -m bench.run

serve: $(STAMP)
	$(BIN)/sentrial serve

lock:
	$(PY) -m pip freeze --exclude-editable | grep -v '^#' > /tmp/sentrial-freeze.txt
	{ echo "# Exact versions of every dev/test dependency (pip constraints). Refresh: make lock"; cat /tmp/sentrial-freeze.txt; } > requirements/dev.lock

clean:
	rm -rf $(VENV) .venv-published .venv-published.lock dist build .pytest_cache .mypy_cache .ruff_cache

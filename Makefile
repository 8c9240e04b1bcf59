# Drillbook: `make run` installs, migrates, loads the reference drill and serves;
# `make test` installs and runs the whole suite. Both install what they need themselves.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Debian packages: WeasyPrint's text layout and fonts, PDF tools, the PostgreSQL server the tests start,
# and the Chromium the browser tests drive (Playwright never downloads a browser of its own).
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-liberation2 poppler-utils postgresql chromium

.PHONY: run test bench install system-deps lock clean catalogues

# The gettext catalogues of translations/, compiled for the app (the .mo files are not kept in git).
CATALOGUES := $(wildcard translations/*/LC_MESSAGES/messages.po)
catalogues: $(CATALOGUES:.po=.mo)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

run: install catalogues
	$(BIN)/drillbook db upgrade
	$(BIN)/drillbook user bootstrap-admin
	$(BIN)/drillbook demo
	$(BIN)/drillbook serve

# Supply-chain checks, style and import rules, then the whole suite twice: on SQLite, then on a throwaway
# PostgreSQL cluster started for it. `pytest -m "not slow and not browser"` is the quick inner loop.
test: install catalogues
	BIN=$(BIN) tests/supply-chain.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -n 2
	tests/with-postgres.sh $(BIN)/python -m pytest -n 2 -p no:cacheprovider

# The scale benchmark on SQLite and on a throwaway PostgreSQL; prints one table of medians.
bench: install catalogues
	tests/with-postgres.sh $(BIN)/python bench/scale.py
	$(BIN)/python bench/signing.py

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml package-lock.json
	@$(MAKE) --no-print-directory system-deps
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(STAMP)

# Installs missing Debian packages when run as root; otherwise names them and stops.
system-deps:
	@missing=""; \
	for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	$(PYTHON) -m venv --help >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "Missing Debian packages:$$missing. Install them as root: apt-get install$$missing"; exit 1; \
	  fi; \
	fi

# Re-resolve the pinned, hashed dependency lock after changing pyproject.toml.
lock:
	$(PYTHON) -m venv /tmp/drillbook-lock && /tmp/drillbook-lock/bin/pip install --quiet uv
	/tmp/drillbook-lock/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache node_modules test-artifacts

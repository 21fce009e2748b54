#!/usr/bin/env bash
# Sets up the environment (idempotent), then runs lint, type check and the full test suite.
# When PostgreSQL is installed (Debian's postgresql package), a throwaway server is started so the
# memory store's tests also run against it; without it those tests are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
if [ -z "${WORLDMIND_TEST_PG_URL:-}" ] && ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    WORLDMIND_TEST_PG_URL=$(bash scripts/postgres.sh)
    export WORLDMIND_TEST_PG_URL
fi
status=0
.venv/bin/python -m pytest -q "$@" || status=$?
# pytest exits 5 when it collected no tests; that is not a failure of the code under test.
if [ "$status" -eq 5 ]; then status=0; fi
exit "$status"

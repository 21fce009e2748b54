#!/usr/bin/env bash
# Sets up the environment (idempotent), then runs lint, type check and the full test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
status=0
.venv/bin/python -m pytest -q "$@" || status=$?
# pytest exits 5 when it collected no tests; that is not a failure of the code under test.
if [ "$status" -eq 5 ]; then status=0; fi
exit "$status"

#!/usr/bin/env bash
# Every test, in order: lint and types, the suite on SQLite, the suite on PostgreSQL, the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
scripts/system-deps.sh test

echo "== ruff and mypy =="
$BIN/ruff check .
$BIN/mypy

work=$(mktemp -d /tmp/interschool-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
unset DATABASE_URL

echo "== pytest on SQLite =="
INTERSCHOOL_DATA_DIR="$work/sqlite" $BIN/pytest -m "not browser" -p no:playwright -q "$@"

echo "== pytest on PostgreSQL =="
# shellcheck source=scripts/pg_throwaway.sh
source scripts/pg_throwaway.sh
trap 'pg_throwaway_stop; rm -rf "$work"' EXIT
INTERSCHOOL_DATA_DIR="$work/postgres" $BIN/pytest -m "not browser" -p no:playwright -q "$@"
pg_throwaway_stop
unset DATABASE_URL
trap 'rm -rf "$work"' EXIT

echo "== browser tests (Playwright, Debian chromium) =="
mkdir -p test-artifacts
INTERSCHOOL_DATA_DIR="$work/browser" $BIN/pytest tests/e2e -m browser -q "$@"
echo "Screenshots of the browser tests are in test-artifacts/."

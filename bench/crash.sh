#!/usr/bin/env bash
# Kill -9 test of filing (see bench/crash/main.go): builds the server, files from several clients, kills it at
# random moments, restarts it, and proves every acknowledged filing is there, the SQLite file intact and the audit
# chain whole. Prints PASS or FAIL and exits 0 or 1.
#
#   bash bench/crash.sh                                   # the short form: 3 rounds of up to 3 s (CI)
#   bash bench/crash.sh -rounds 20 -duration 10s -concurrency 16
#   bash bench/crash.sh -db 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'   # in a fresh schema
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./bench/crash "$@"

#!/usr/bin/env bash
# A CPU profile of the server while bench/loadgen files against it: the server built with -tags pprof, a fresh
# database, 16 clients, the profile taken over the middle of the load. See docs/performance.md, "Filing".
#
#   bash bench/profile.sh                      # SQLite
#   DB='postgres://…/db?search_path=…' bash bench/profile.sh
#   RIGHTSDESK_BIN=/path/to/rightsdesk bash bench/profile.sh   # profile a given build (made with -tags pprof)
#   go tool pprof -top bench/out/filing-TIMESTAMP.pprof
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-25s}
SECONDS_PROFILED=${SECONDS_PROFILED:-15}
CONCURRENCY=${CONCURRENCY:-16}
OUT=${OUT:-bench/out}
TOKEN=rd_bench_admin_token_not_a_secret_0001
KEY=cmlnaHRzZGVzay1iZW5jaC1rZXktbm90LXNlY3JldCE=
export RIGHTSDESK_FILINGS_PER_MINUTE=10000000 RIGHTSDESK_FILINGS_PER_MINUTE_PER_ADDRESS=10000000

work=$(mktemp -d "${TMPDIR:-/tmp}/rdbench-prof.XXXXXX")
srv=
cleanup() {
  [ -z "$srv" ] || { kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

bin=${RIGHTSDESK_BIN:-$work/rightsdesk}
[ -n "${RIGHTSDESK_BIN:-}" ] || go build -tags pprof -o "$bin" ./cmd/rightsdesk
go build -o "$work/loadgen" ./bench/loadgen
mkdir -p "$OUT"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
url=http://127.0.0.1:18790
RIGHTSDESK_ADDR=127.0.0.1:18790 RIGHTSDESK_PPROF_ADDR=127.0.0.1:18791 RIGHTSDESK_DB="${DB:-$work/rightsdesk.db}" \
  RIGHTSDESK_SCHEDULER=off RIGHTSDESK_BOOTSTRAP_TOKEN="$TOKEN" RIGHTSDESK_ENCRYPTION_KEY="$KEY" \
  "$bin" serve >"$work/server.log" 2>&1 &
srv=$!
for _ in $(seq 1 300); do curl -sf -o /dev/null "$url/healthz" && break; sleep 0.1; done
"$work/loadgen" -label profile -url "$url" -token "$TOKEN" -mode file -duration "$DURATION" -warmup 3s \
  -concurrency "$CONCURRENCY" -pid "$srv" >"$work/load.json" &
load=$!
sleep 6
curl -sf -o "$OUT/filing-$stamp.pprof" "http://127.0.0.1:18791/debug/pprof/profile?seconds=$SECONDS_PROFILED"
wait "$load"
cat "$work/load.json"
echo "profile: $OUT/filing-$stamp.pprof"

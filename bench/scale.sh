#!/usr/bin/env bash
# The million-row measurements: an officer's queue listing (through service.ListRequests, and through the real
# HTTP API with bench/loadgen) and the escalation sweep (time and peak heap, over tables of different sizes with
# the same number due, and the same size with different numbers due), on SQLite and PostgreSQL.
#
#   bash bench/scale.sh                        # 1,000,000:10,000 100,000:10,000 100,000:1,000; both dialects
#   TABLES=200000:2000 DIALECTS=sqlite bash bench/scale.sh
#   KEEP=1 bash bench/scale.sh                 # keep the seeded PostgreSQL databases for the next run
#
# Seeded SQLite files stay in $BENCH_DIR (default /tmp/rdbench) and are reused; seeding 1,000,000 requests takes
# about 6 minutes on 2 cores. Results: bench/out/scale-TIMESTAMP.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

TABLES=${TABLES:-1000000:10000,100000:10000,100000:1000}
DIALECTS=${DIALECTS:-sqlite,postgres}
PG_DSN=${PG_DSN:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
BENCH_DIR=${BENCH_DIR:-/tmp/rdbench}
LIST_DURATION=${LIST_DURATION:-15s}
STEPS=${STEPS:-listing,sweep,http} # which of the measurements below to run
OUT=${OUT:-bench/out}
# The load comes from one loopback address with one token: lift the filing rate limits for these servers.
export RIGHTSDESK_FILINGS_PER_MINUTE=10000000 RIGHTSDESK_FILINGS_PER_MINUTE_PER_ADDRESS=10000000
KEY=cmlnaHRzZGVzay1iZW5jaC1rZXktbm90LXNlY3JldCE= # bench/seed.EncryptionKey

work=$(mktemp -d "${TMPDIR:-/tmp}/rdbench-scale.XXXXXX")
srv_pid=
cleanup() {
  if [ -n "$srv_pid" ]; then
    kill "$srv_pid" 2>/dev/null || true
    wait "$srv_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  if [ -z "${KEEP:-}" ] && [[ $DIALECTS == *postgres* ]]; then
    go run ./bench/seeddb -pg "$PG_DSN" -drop-all || true
  fi
}
trap cleanup EXIT

mkdir -p "$OUT" "$BENCH_DIR"
report="$OUT/scale-$(date -u +%Y%m%dT%H%M%SZ).txt"
exec > >(tee "$report") 2>&1
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -r); $(go version | cut -d' ' -f3)"

go build -o "$work/rightsdesk" ./cmd/rightsdesk
go build -o "$work/loadgen" ./bench/loadgen
go build -o "$work/seeddb" ./bench/seeddb

# 1. Seed (or find) every table first, so that the benchmarks below time nothing but themselves.
IFS=, read -ra tables <<<"$TABLES"
for t in "${tables[@]}"; do
  rows=${t%%:*} due=${t#*:}
  [[ $DIALECTS == *sqlite* ]] && "$work/seeddb" -rows "$rows" -due "$due" -dir "$BENCH_DIR" >/dev/null
  [[ $DIALECTS == *postgres* ]] && "$work/seeddb" -pg "$PG_DSN" -rows "$rows" -due "$due" >/dev/null
done

# 2. The go test benchmarks: listing (2,000 pages per query) and sweeps (one fresh copy each).
dialects=${DIALECTS// /,}
sync # seeding leaves gigabytes to write back, which would slow every fsync measured below
export RIGHTSDESK_BENCH_ROWS=$TABLES RIGHTSDESK_BENCH_DIR=$BENCH_DIR RIGHTSDESK_BENCH_POSTGRES_DSN=$PG_DSN
export RIGHTSDESK_BENCH_DIALECTS=$dialects
if [[ $STEPS == *listing* ]]; then
  echo "== go test -bench BenchmarkQueueListing"
  go test ./bench/scale -run '^$' -bench BenchmarkQueueListing -benchtime 2000x -timeout 30m
fi
if [[ $STEPS == *sweep* ]]; then
  echo "== go test -bench BenchmarkEscalationSweep"
  go test ./bench/scale -run '^$' -bench BenchmarkEscalationSweep -benchtime 1x -timeout 60m
fi

# 3. The listing through the real server, on the largest table: an officer's open queue and her own requests,
# 20 pages deep by cursor, 1, 4 and 16 officers at once (LIST_CONCURRENCY). Listing writes nothing, so the server
# runs on the seed itself.
largest=${tables[0]}
rows=${largest%%:*} due=${largest#*:}
IFS=, read -ra ds <<<"$dialects"
for d in "${ds[@]}"; do
  [[ $STEPS == *http* ]] || break
  if [ "$d" = sqlite ]; then
    fx=$("$work/seeddb" -rows "$rows" -due "$due" -dir "$BENCH_DIR")
  else
    fx=$("$work/seeddb" -pg "$PG_DSN" -rows "$rows" -due "$due")
  fi
  field() { sed -E "s/.*\"$1\":\"([^\"]*)\".*/\1/" <<<"$fx"; }
  dsn=$(field dsn) admin=$(field admin_token) officer=$(field officer_token) queue=$(field officer_queue)
  port=$((18800 + RANDOM % 100))
  RIGHTSDESK_ADDR="127.0.0.1:$port" RIGHTSDESK_DB="$dsn" RIGHTSDESK_SCHEDULER=off RIGHTSDESK_BOOTSTRAP_TOKEN="$admin" \
    RIGHTSDESK_ENCRYPTION_KEY="$KEY" "$work/rightsdesk" serve >"$work/server-$d.log" 2>&1 &
  srv_pid=$!
  for _ in $(seq 1 600); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break
    kill -0 "$srv_pid" 2>/dev/null || { tail -5 "$work/server-$d.log"; exit 1; }
    sleep 0.1
  done
  for c in ${LIST_CONCURRENCY:-1 4 16}; do
    for path in "/api/v1/requests?queue=$queue&status=open&limit=50" "/api/v1/requests?assignee=me&limit=50"; do
      echo "== HTTP listing, $d, $rows stored, $c officers: $path"
      "$work/loadgen" -label "$d/list" -url "http://127.0.0.1:$port" -token "$officer" -mode list -path "$path" \
        -pages 20 -duration "$LIST_DURATION" -warmup 2s -concurrency "$c" -pid "$srv_pid"
    done
  done
  kill "$srv_pid"
  wait "$srv_pid" || true
  srv_pid=
done
echo "results: $report"

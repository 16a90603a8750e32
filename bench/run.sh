#!/usr/bin/env bash
# Filing throughput and latency of Rightsdesk against the floor of its own stack (bench/floor: Echo + GORM, one
# INSERT), on SQLite and PostgreSQL, in one run, with each server's resident memory and CPU under load; the
# SQLite floor with synchronous=NORMAL and Rightsdesk with no fsync at all (eatmydata, when installed), the
# measured cost of the durability choice; and, on PostgreSQL, what Rightsdesk's sessions wait on (psql, when
# installed). Every server, file and schema it makes, it removes; every load is bounded in time and aimed at
# 127.0.0.1. See docs/performance.md.
#
#   bash bench/run.sh                                  # 20 s per server, 16 clients, SQLite and PostgreSQL
#   DURATION=10s CONCURRENCY=32 bash bench/run.sh
#   DIALECTS=sqlite bash bench/run.sh                  # without PostgreSQL
#   RIGHTSDESK_BIN=/path/to/rightsdesk bash bench/run.sh   # measure a given build
#
# Results: a Markdown table on standard output, the JSON lines in bench/out/run-TIMESTAMP.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-3s}
CONCURRENCY=${CONCURRENCY:-16}
DIALECTS=${DIALECTS:-sqlite postgres}
PG_DSN=${PG_DSN:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
OUT=${OUT:-bench/out}
TOKEN=rd_bench_admin_token_not_a_secret_0001
# The load comes from one loopback address with one token: lift the filing rate limits for these servers.
export RIGHTSDESK_FILINGS_PER_MINUTE=10000000 RIGHTSDESK_FILINGS_PER_MINUTE_PER_ADDRESS=10000000
KEY=cmlnaHRzZGVzay1iZW5jaC1rZXktbm90LXNlY3JldCE= # base64 of 32 bytes, for these throwaway servers only

work=$(mktemp -d "${TMPDIR:-/tmp}/rdbench-run.XXXXXX")
pids=()
schemas=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for s in "${schemas[@]}"; do "$work/pgschema" -dsn "$PG_DSN" drop "$s" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building" >&2
bin=${RIGHTSDESK_BIN:-$work/rightsdesk}
[ -n "${RIGHTSDESK_BIN:-}" ] || go build -o "$bin" ./cmd/rightsdesk
for tool in floor loadgen pgschema report; do go build -o "$work/$tool" "./bench/$tool"; done

mkdir -p "$OUT"
results="$OUT/run-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
port=18700
srv_pid=
srv_url=

# start LABEL CMD...: runs CMD (with the environment already exported by the caller) on a new port and waits
# until /healthz answers.
start() {
  local label=$1
  shift
  "$@" >"$work/$label.log" 2>&1 &
  srv_pid=$!
  pids+=("$srv_pid")
  for _ in $(seq 1 300); do
    if curl -sf -o /dev/null "$srv_url/healthz"; then return 0; fi
    if ! kill -0 "$srv_pid" 2>/dev/null; then
      echo "$label did not start:" >&2
      tail -5 "$work/$label.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "$label did not answer /healthz within 30 s" >&2
  return 1
}

stop() {
  kill "$srv_pid" 2>/dev/null || true
  wait "$srv_pid" 2>/dev/null || true
}

next_port() {
  port=$((port + 1))
  srv_url="http://127.0.0.1:$port"
}

# measure LABEL: files against the running server and appends the result line. Dirty pages of earlier runs are
# flushed first: a kernel writing back gigabytes slows every fsync of the run measured.
measure() {
  sync
  echo "== $1: $DURATION, $CONCURRENCY clients" >&2
  "$work/loadgen" -label "$1" -url "$srv_url" -token "$TOKEN" -mode file -duration "$DURATION" -warmup "$WARMUP" \
    -concurrency "$CONCURRENCY" -pid "$srv_pid" | tee -a "$results" >&2
}

floor() { # DIALECT LABEL DB [SYNCHRONOUS]
  next_port
  start "$2" "$work/floor" -addr "127.0.0.1:$port" -db "$3" -synchronous "${4:-FULL}"
  measure "$1/$2"
  stop
}

rightsdesk() { # DIALECT DB [LABEL [WRAPPER...]]
  local dialect=$1 db=$2 label=${3:-rightsdesk}
  shift $(($# < 3 ? $# : 3))
  next_port
  RIGHTSDESK_ADDR="127.0.0.1:$port" RIGHTSDESK_DB="$db" RIGHTSDESK_SCHEDULER=off RIGHTSDESK_BOOTSTRAP_TOKEN="$TOKEN" \
    RIGHTSDESK_ENCRYPTION_KEY="$KEY" start "$dialect-$label" "$@" "$bin" serve
  local sampler=
  if [ "$dialect" = postgres ] && command -v psql >/dev/null; then
    sample_waits >"$work/waits.txt" &
    sampler=$!
    pids+=("$sampler")
  fi
  measure "$dialect/$label"
  if [ -n "$sampler" ]; then
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    echo "== what the Rightsdesk connections were waiting on under load (pg_stat_activity, every 200 ms):" >&2
    sort "$work/waits.txt" | uniq -c | sort -rn | head -8 >&2
  fi
  stop
}

# sample_waits: what the database's client sessions wait on, one line per active session, every 200 ms, until
# killed (at most 5 minutes).
sample_waits() {
  for _ in $(seq 1 1500); do
    psql "$PG_DSN" -XAtc "SELECT coalesce(wait_event_type || ':' || wait_event, 'on CPU') || ' ' || state
      FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
      AND state <> 'idle' AND backend_type = 'client backend'" 2>/dev/null || true
    sleep 0.2
  done
}

{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r)"
  echo "build: $(go version | cut -d' ' -f3), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- . ':!bench' ':!docs' 2>/dev/null || echo ' (with uncommitted changes)')"
} >&2

for dialect in ${DIALECTS//,/ }; do
  case $dialect in
  sqlite)
    floor sqlite floor "$work/floor-full.db" FULL
    rightsdesk sqlite "$work/rightsdesk.db"
    floor sqlite floor-normal "$work/floor-normal.db" NORMAL
    # The ceiling of any synchronous setting: Rightsdesk with every fsync turned into a no-op (not durable).
    if command -v eatmydata >/dev/null; then
      rightsdesk sqlite "$work/rightsdesk-nofsync.db" rightsdesk-nofsync eatmydata
    fi
    ;;
  postgres)
    s1="rdload_floor_$$"
    s2="rdload_app_$$"
    schemas+=("$s1" "$s2")
    floor postgres floor "$("$work/pgschema" -dsn "$PG_DSN" create "$s1")"
    rightsdesk postgres "$("$work/pgschema" -dsn "$PG_DSN" create "$s2")"
    ;;
  *)
    echo "unknown dialect $dialect" >&2
    exit 2
    ;;
  esac
done

"$work/report" <"$results"
echo
echo "results: $results"

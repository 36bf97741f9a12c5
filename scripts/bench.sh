#!/usr/bin/env bash
# Read benchmark of Promotion (issue 12): builds the backend bundle (with the
# production app build inside it), seeds N flows and about M audit events
# into a fresh PostgreSQL database, starts the built backend on it and
# measures, interleaved, the gate check (pipeline and user token), the flow
# state, the approver's inbox and a deployment report against the catalog's
# by-name lookup and /health in the same process, at 1 and 64 connections;
# then the history sweep of one flow (10, 1,000, 10,000 deployments), the
# backend's memory during the verification report and the export, the
# plugin's frontend chunks, and the audit verification of the seeded trail.
# It prints every goal of the issue with GOAL MET / GOAL NOT MET and exits 0;
# it creates its own databases (bench_reads_<random>_*) and drops them.
# See bench/reads.ts for everything it does and all its settings.
#
#   scripts/bench.sh                                  # full size: 10,000 flows, ~1,000,000 events
#   BENCH_FLOWS=200 BENCH_EVENTS=20000 BENCH_ROUND_S=2 BENCH_SWEEP=10,200 scripts/bench.sh
#   BENCH_SKIP_BUILD=1 scripts/bench.sh               # reuse packages/backend/dist/bundle.tar.gz
#
# At full size it takes about 10 minutes after the build on the code of 28
# Nov 2026 (2 cores, quiet), the sweep's 9,000 deployment reports on one
# flow 25 s of them (45 minutes on the code of 27 Nov, whose every report
# read the flow's whole history); BENCH_SWEEP=10,1000 leaves them out.
#
# The backend listens on BENCH_PORT (7107): never 3000 or 7007, the ports of
# the portal that e2e starts. It needs PostgreSQL (PGHOST, PGPORT, PGUSER,
# PGPASSWORD; default 127.0.0.1:5432, user postgres).
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
BENCH_PORT="${BENCH_PORT:-7107}"
if [ "$BENCH_PORT" = 3000 ] || [ "$BENCH_PORT" = 7007 ]; then
  echo "bench: BENCH_PORT must not be 3000 or 7007 (the e2e portal's ports)" >&2
  exit 1
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$BENCH_PORT") 2>/dev/null; then
  echo "bench: port $BENCH_PORT is in use; set BENCH_PORT to a free port" >&2
  exit 1
fi
export BENCH_PORT
BENCH_DB_PREFIX="${BENCH_DB_PREFIX:-bench_reads_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')_}"
export BENCH_DB_PREFIX
BENCH_PID_FILE="$(mktemp /tmp/promotion-bench-pid-XXXXXX)"
BENCH_WORK_DIR="$(mktemp -d /tmp/promotion-bench-reads-XXXXXX)"
export BENCH_PID_FILE BENCH_WORK_DIR

# Whatever happens to the node process (time limit, kill): stop the backend
# it started and drop the databases.
cleanup() {
  local pid
  pid="$(cat "$BENCH_PID_FILE" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    sleep 3
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$BENCH_PID_FILE"
  if [ "${BENCH_KEEP:-}" != 1 ]; then
    rm -rf "$BENCH_WORK_DIR"
  fi
  if [ "${BENCH_KEEP:-}" != 1 ] && command -v psql >/dev/null 2>&1; then
    psql -d postgres -qAtc "select datname from pg_database where datname like '${BENCH_DB_PREFIX//_/\\_}%'" 2>/dev/null |
      while read -r db; do
        psql -d postgres -qAtc "drop database if exists \"$db\" with (force)" >/dev/null 2>&1 || true
      done
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

flows="${BENCH_FLOWS:-10000}"
events="${BENCH_EVENTS:-1000000}"
round_s="${BENCH_ROUND_S:-5}"
rounds="${BENCH_ROUNDS:-3}"
conns="${BENCH_CONNECTIONS:-1,64}"
n_conns=$(echo "$conns" | tr ',' '\n' | grep -c .)
sweep="${BENCH_SWEEP:-10,1000,10000}"
sweep_max=$(echo "$sweep" | tr ',' '\n' | sort -n | tail -1)
# Seeding (~250 s per million events), the catalog (~35 s per 1,000
# entities), 7 reads x rounds x concurrencies, the sweep's deployment reports
# (3 per second: 9,000 took 2,670 s on the code of 27 Nov) and its measurements, the report, the export and the
# verification (~7 min per million events each), start-up and slack.
limit=$((events / 1000000 * 250 + 150 + flows * 35 / 1000 + 7 * rounds * n_conns * (round_s + 3) + 14 + sweep_max / 3 + 4 * 4 * round_s * 3 + 3 * (events / 1000000 * 400 + 60) + 600))

echo "bench: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$([ -z "$(git status --porcelain -- plugins packages 2>/dev/null)" ] || echo ' (plus uncommitted changes in plugins/ or packages/)'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo) memory, time limit ${limit} s after the build"

if [ "${BENCH_SKIP_BUILD:-}" != 1 ]; then
  echo "bench: building the backend bundle and the app (yarn tsc, then yarn workspace backend build, as the Dockerfile says)"
  build_started=$(date +%s)
  # The bundle repacks the plugin packages, whose prepack needs their
  # declarations (dist-types) from yarn tsc.
  if ! { timeout 900 yarn tsc && timeout 1800 yarn workspace backend build; } >/tmp/promotion-bench-build.log 2>&1; then
    echo "bench: the build failed; the end of /tmp/promotion-bench-build.log:"
    tail -n 30 /tmp/promotion-bench-build.log
    exit 0
  fi
  echo "bench: built in $(($(date +%s) - build_started)) s"
fi

status=0
timeout --kill-after=30 "$limit" \
  node --require @backstage/cli/config/nodeTransform.cjs bench/reads.ts || status=$?
if [ "$status" -ne 0 ]; then
  echo "bench: the benchmark did not complete (exit $status)$([ "$status" -eq 124 ] && echo ', time limit reached')"
fi
exit 0

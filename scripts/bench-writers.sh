#!/usr/bin/env bash
# Write-concurrency benchmark of the promotion store on PostgreSQL: deployments/s
# for 1 writer on 1 flow, 16 writers on 16 flows and 16 writers on 1 flow, the
# lock waits while they run, and a verification of the audit chain. See
# bench/writers.ts for the settings (BENCH_DURATION_S, BENCH_REPEATS, ...).
# It prints and exits 0; it creates its own database and drops it at the end.
#
#   scripts/bench-writers.sh                      # 3 x 3 rounds of 10 s (about 3 minutes)
#   BENCH_DURATION_S=3 BENCH_REPEATS=1 BENCH_WARMUP_S=1 scripts/bench-writers.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
BENCH_DB="${BENCH_DB:-promotion_bench_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')}"
export BENCH_DB

# Whatever happens to the node process (timeout, kill), drop the database.
drop_db() {
  if command -v psql >/dev/null 2>&1; then
    psql -d postgres -qAtc "drop database if exists \"$BENCH_DB\" with (force)" >/dev/null 2>&1 || true
  fi
}
trap drop_db EXIT
trap 'exit 130' INT TERM

duration="${BENCH_DURATION_S:-10}"
repeats="${BENCH_REPEATS:-3}"
warmup="${BENCH_WARMUP_S:-5}"
# 3 rounds per repeat and 3 warm-up rounds, plus set-up and verification.
limit=$((duration * repeats * 3 + warmup * 3 + 180))

echo "bench-writers: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$([ -z "$(git status --porcelain -- plugins/promotion-backend 2>/dev/null)" ] || echo ' (plus uncommitted changes in plugins/promotion-backend)'), $(nproc) cores, time limit ${limit} s"
status=0
timeout --kill-after=10 "$limit" \
  node --require @backstage/cli/config/nodeTransform.cjs bench/writers.ts || status=$?
if [ "$status" -ne 0 ]; then
  echo "bench-writers: the benchmark did not complete (exit $status)$([ "$status" -eq 124 ] && echo ', time limit reached')"
fi
exit 0

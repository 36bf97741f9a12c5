#!/usr/bin/env bash
# Malformed-request fuzzing of the Promotion REST API (scripts/fuzz-api/fuzz.mjs).
#
# Starts the example backend alone (no frontend, no file watcher) with
# NODE_ENV=production, on a free port of 127.0.0.1 and a fresh database, sends
# malformed variants of every operation of its API document, prints a summary
# (status classes, 5xx, bodies with internals, the audit chain afterwards), and
# stops the backend. Exits non-zero on any 5xx, any leak, or a broken chain.
#
#   scripts/fuzz-api.sh [--requests N] [--concurrency N] [--time-limit S] [--seed N]
#
# FUZZ_DATABASE=sqlite (default: a fresh directory of SQLite files) or
# FUZZ_DATABASE=postgres (fresh databases named fuzz_<random>_<plugin> on
# FUZZ_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432, dropped
# afterwards). Users come from the example's demo sign-in, the pipeline from
# the static token of app-config.yaml.
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"

DATABASE=${FUZZ_DATABASE:-sqlite}
POSTGRES_URL=${FUZZ_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432}
WORK_DIR="$(mktemp -d /tmp/promotion-fuzz-XXXXXX)"
LOG="$WORK_DIR/backend.log"
PORT="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
BASE="http://127.0.0.1:$PORT"
TOKEN="$(node -e '
  const { parse } = require("yaml");
  const config = parse(require("fs").readFileSync("app-config.yaml", "utf8"));
  console.log(config.backend.auth.externalAccess.find(a => a.type === "static").options.token);
')"
PREFIX="fuzz_$(node -p 'require("crypto").randomBytes(4).toString("hex")')_"

{
  echo "backend:"
  echo "  baseUrl: $BASE"
  echo "  listen: { host: 127.0.0.1, port: $PORT }"
  echo "  database:"
  if [ "$DATABASE" = postgres ]; then
    echo "    client: pg"
    echo "    connection: $POSTGRES_URL"
    echo "    prefix: $PREFIX"
  else
    mkdir -p "$WORK_DIR/sqlite"
    echo "    client: better-sqlite3"
    echo "    connection: { directory: $WORK_DIR/sqlite }"
  fi
} >"$WORK_DIR/app-config.fuzz.yaml"

BACKEND_PID=""
stop_backend() {
  if [ -n "$BACKEND_PID" ]; then
    kill -TERM -- "-$BACKEND_PID" 2>/dev/null || true
    for _ in $(seq 1 20); do
      kill -0 -- "-$BACKEND_PID" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL -- "-$BACKEND_PID" 2>/dev/null || true
  fi
  if [ "$DATABASE" = postgres ]; then
    for db in $(psql "$POSTGRES_URL" -Atc "select datname from pg_database where datname like '${PREFIX}%'" 2>/dev/null); do
      psql "$POSTGRES_URL" -qc "drop database if exists \"$db\"" >/dev/null 2>&1 || true
    done
  fi
  rm -rf "$WORK_DIR"
}
trap stop_backend EXIT

echo "==> Starting the example backend on $BASE (NODE_ENV=production, $DATABASE, log: $LOG)"
# Its own process group, started with the backend CLI's TypeScript loader but
# without its file watcher: edits elsewhere in the tree do not restart it.
(
  cd packages/backend
  NODE_ENV=production exec setsid node --enable-source-maps \
    --require @backstage/cli-node/config/nodeTransform.cjs src/index.ts \
    --config ../../app-config.yaml --config "$WORK_DIR/app-config.fuzz.yaml"
) >"$LOG" 2>&1 &
BACKEND_PID=$!

ready=""
for _ in $(seq 1 180); do
  # Up, and the catalog knows the example users (the demo sign-in needs them).
  if curl -fsS "$BASE/api/promotion/health" >/dev/null 2>&1 &&
    curl -fsS -o /dev/null -H 'x-promotion-demo-user: ann' "$BASE/api/auth/demo/refresh" 2>/dev/null &&
    curl -fsS -o /dev/null -H 'x-promotion-demo-user: alice' "$BASE/api/auth/demo/refresh" 2>/dev/null; then
    ready=yes
    break
  fi
  if ! kill -0 "$BACKEND_PID" 2>/dev/null; then
    echo "ERROR: the backend exited; last lines of its log:" >&2
    tail -n 40 "$LOG" >&2
    exit 2
  fi
  sleep 1
done
if [ -z "$ready" ]; then
  echo "ERROR: the backend did not answer within 180 s; last lines of its log:" >&2
  tail -n 40 "$LOG" >&2
  exit 2
fi

status=0
node scripts/fuzz-api/fuzz.mjs --base "$BASE" --token "$TOKEN" "$@" || status=$?
if [ "$status" -ne 0 ]; then
  # The backend's own account of what went wrong (it writes no internals to clients).
  echo "==> Errors in the backend log:"
  grep -E '"level":"error"' "$LOG" | grep -v "Can't serve static app content" | head -n 10 | cut -c1-1500 || true
fi
exit "$status"

#!/usr/bin/env bash
# Browser tests: builds the legacy example app, starts the portal with the
# README's start command on a fresh database, waits until it answers, runs
# the Playwright tests in Debian's chromium, and stops the portal. Argument:
# where to write the JSON results (one file for both apps).
# Two example apps run against the one backend:
# - packages/app, the new frontend system, on the frontend dev server
#   (http://localhost:3000): the story, the pipelines and the smoke test;
# - packages/app-legacy, the legacy system, as a production build served by
#   the backend's app plugin (http://localhost:7007, e2e/app-config.e2e.yaml):
#   its smoke test (e2e/legacy-app.spec.ts).
# The tests see PROMOTION_E2E_DATA_DIR (the portal's SQLite files and the
# generated configuration overlay) and read both.
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"
RESULT_FILE=${1:-"$REPO_ROOT/.ci-results/playwright.json"}
shift || true # the rest goes to Playwright (e.g. a spec file: e2e/story.spec.ts)
mkdir -p "$(dirname "$RESULT_FILE")"

# One portal at a time on this machine: runs from other checkouts (and
# verify-install) wait here for the ports instead of failing.
exec 9>/tmp/promotion-ports.lock
echo "==> Waiting for the ports (lock /tmp/promotion-ports.lock)"
flock 9

export PROMOTION_E2E_DATA_DIR
PROMOTION_E2E_DATA_DIR="$(mktemp -d /tmp/promotion-e2e-XXXXXX)"
LOG="$REPO_ROOT/.ci-results/portal.log"
mkdir -p "$(dirname "$LOG")"

for port in 3000 7007; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "ERROR: port $port is already in use; stop the running portal first" >&2
    exit 1
  fi
done

# The example configuration with post-deployment minimum waits of a few
# seconds instead of minutes (e2e/make-e2e-config.js), so the story spec can
# watch a countdown end.
E2E_CONFIG="$PROMOTION_E2E_DATA_DIR/app-config.e2e.generated.yaml"
node e2e/make-e2e-config.js "$REPO_ROOT/app-config.yaml" >"$E2E_CONFIG"

# The backend's app plugin serves the legacy app's build if it exists when
# the backend starts: build it first (with the same configuration).
trap 'rm -rf "$PROMOTION_E2E_DATA_DIR"' EXIT
bash scripts/setup.sh
BUILD_LOG="$REPO_ROOT/.ci-results/app-legacy-build.log"
echo "==> Building the legacy example app (packages/app-legacy, log: $BUILD_LOG)"
if ! (cd packages/app-legacy && yarn build \
  --config "$REPO_ROOT/app-config.yaml" \
  --config "$REPO_ROOT/e2e/app-config.e2e.yaml" \
  --config "$E2E_CONFIG") >"$BUILD_LOG" 2>&1; then
  echo "ERROR: the legacy app's build failed; last lines of its log:" >&2
  tail -n 40 "$BUILD_LOG" >&2
  exit 1
fi

echo "==> Starting the portal (log: $LOG, database: $PROMOTION_E2E_DATA_DIR)"
setsid bash scripts/start.sh \
  --config "$REPO_ROOT/app-config.yaml" \
  --config "$REPO_ROOT/e2e/app-config.e2e.yaml" \
  --config "$E2E_CONFIG" >"$LOG" 2>&1 &
PORTAL_PID=$!
stop_portal() {
  kill -TERM -- "-$PORTAL_PID" 2>/dev/null || true
  for _ in $(seq 1 20); do
    kill -0 -- "-$PORTAL_PID" 2>/dev/null || break
    sleep 0.5
  done
  kill -KILL -- "-$PORTAL_PID" 2>/dev/null || true
  rm -rf "$PROMOTION_E2E_DATA_DIR"
}
trap stop_portal EXIT

ready=""
for _ in $(seq 1 240); do
  if curl -fsS http://localhost:7007/api/promotion/health >/dev/null 2>&1 &&
    curl -fsS http://localhost:3000 >/dev/null 2>&1 &&
    curl -fsS http://localhost:7007/ 2>/dev/null | grep -q 'id="root"'; then
    ready=yes
    break
  fi
  if ! kill -0 "$PORTAL_PID" 2>/dev/null; then
    echo "ERROR: the portal exited; last lines of its log:" >&2
    tail -n 40 "$LOG" >&2
    exit 1
  fi
  sleep 1
done
if [ -z "$ready" ]; then
  echo "ERROR: the portal did not answer within 240 s; last lines of its log:" >&2
  tail -n 40 "$LOG" >&2
  exit 1
fi
echo "==> Portal is up"

PROMOTION_APP_URL=http://localhost:3000 \
  PROMOTION_LEGACY_APP_URL=http://localhost:7007 \
  PLAYWRIGHT_JSON_OUTPUT_NAME="$RESULT_FILE" yarn playwright test \
  -c e2e/playwright.config.ts --reporter=list,json "$@"

#!/usr/bin/env bash
# The platform team's path as a test (issue 13): builds and packs the plugins
# (scripts/pack.sh), creates a brand-new app with the registry's
# @backstage/create-app (new frontend system, or the legacy one with
# --legacy), installs Promotion by the README's install steps only,
# type-checks the app, starts it and checks in Chromium that the Promotion tab
# and card appear on an annotated service and not on another, and that the
# Approvals page works (scripts/verify-install/install.spec.ts).
#
#   bash scripts/verify-install.sh [--legacy] [results.json]
#
# results.json: the Playwright JSON result (read by count-results.js); a
# failure before the browser checks writes one failed test there. The app
# answers on http://localhost:3400 and :7407 (VERIFY_INSTALL_FRONTEND_PORT,
# VERIFY_INSTALL_BACKEND_PORT). It takes about 12 minutes on 2 busy cores;
# the whole run is bounded by VERIFY_INSTALL_TIMEOUT (default 2400 s). The
# temporary app is removed at the end (VERIFY_INSTALL_KEEP=1 keeps it), and
# each step's output is kept in test-results/install/.
set -uo pipefail
SELF="$(realpath "${BASH_SOURCE[0]}")"
# shellcheck source=scripts/env.sh
source "$(dirname "$SELF")/env.sh"
set +e

CREATE_APP_VERSION=0.9.2 # the create-app of Backstage 1.55 (backstage.json)
STEP_DIR="$REPO_ROOT/scripts/verify-install"

# ---------------------------------------------------------------------------
# The steps. Each runs in its own process (bash verify-install.sh --step NAME)
# so that `timeout` bounds it.

# The README shows, word for word, every step below (readme-steps.js).
step_readme() {
  node "$STEP_DIR/readme-steps.js" check "$REPO_ROOT/README.md" \
    "$(node -p "require('$REPO_ROOT/plugins/promotion/package.json').version")"
}

step_pack() {
  bash "$REPO_ROOT/scripts/pack.sh" "$WORK/promotion-packages"
}

step_create_app() {
  # The registry's create-app. Registry-mirror workaround: create-app 0.9.2
  # asks for @backstage/errors ^1.3.2, which this mirror lacks (1.3.1 is its
  # newest), so it is installed with an override instead of `npx`.
  mkdir -p "$WORK/create-app"
  echo '{"private":true,"overrides":{"@backstage/errors":"1.3.1"}}' >"$WORK/create-app/package.json"
  npm install --no-audit --no-fund --prefix "$WORK/create-app" \
    "@backstage/create-app@$CREATE_APP_VERSION" || return 1
  local flags=(--path "$APP" --skip-install)
  [ "$LEGACY" = 1 ] && flags+=(--legacy)
  BACKSTAGE_APP_NAME=app node "$WORK/create-app/node_modules/.bin/backstage-create-app" "${flags[@]}" || return 1
  # Neither of the following is an install step of the README.
  # - The repository's root resolutions work around the registry mirror's
  #   missing versions (TOOLCHAIN notes).
  # - create-app seeds yarn.lock with its release's lockfile, fetched from
  #   GitHub, which this machine cannot reach. Without it the template's
  #   @backstage/plugin-signals-backend ^0.3.19 resolves to 0.3.21, which
  #   needs the WebSocket support of backend-defaults 0.19 while the template
  #   asks for ^0.18.0: the stock backend does not start. The template's
  #   lower bound, 0.3.19, works with it.
  node -e '
    const fs = require("fs");
    const [repoFile, appFile] = process.argv.slice(1);
    const repo = JSON.parse(fs.readFileSync(repoFile, "utf8"));
    const app = JSON.parse(fs.readFileSync(appFile, "utf8"));
    app.resolutions = {
      ...repo.resolutions,
      ...app.resolutions,
      "@backstage/plugin-signals-backend": "0.3.19",
    };
    fs.writeFileSync(appFile, JSON.stringify(app, null, 2) + "\n");
  ' "$REPO_ROOT/package.json" "$APP/package.json"
}

# The README's install steps ("Install into your Backstage"), in its order.
step_install() {
  cd "$APP" || return 1
  # The new app has no lockfile yet, and installing Promotion changes it. Yarn
  # makes every install immutable when it sees a CI environment (CI=true);
  # a platform team adds the plugin on a workstation, so this does too.
  export YARN_ENABLE_IMMUTABLE_INSTALLS=false
  # The app as a team has it before adding Promotion: installed.
  yarn install || return 1
  # Before the packages are on a registry: the tarballs in the app's
  # promotion-packages/, and the root package.json's resolutions point the
  # three names at them.
  mkdir -p promotion-packages
  cp "$WORK"/promotion-packages/plugin-promotion*.tgz promotion-packages/
  node -e '
    const fs = require("fs");
    const p = JSON.parse(fs.readFileSync("package.json", "utf8"));
    const tgz = fs.readdirSync("promotion-packages");
    for (const name of ["plugin-promotion", "plugin-promotion-backend", "plugin-promotion-common"]) {
      const file = tgz.find(f => new RegExp(`^${name}-\\d`).test(f));
      p.resolutions[`@promotion/${name}`] = `file:./promotion-packages/${file}`;
    }
    fs.writeFileSync("package.json", JSON.stringify(p, null, 2) + "\n");
  ' || return 1
  grep -A4 '"@promotion/' package.json
  # Which versions of each Backstage package the app has before Promotion.
  backstage_versions >"$LOG_DIR/backstage-versions-before.txt"
  # Backend.
  yarn --cwd packages/backend add @promotion/plugin-promotion-backend@^0.1.0 || return 1
  sed -i "s#^backend.start();#backend.add(import('@promotion/plugin-promotion-backend'));\n\nbackend.start();#" \
    packages/backend/src/index.ts
  grep -q "^backend.add(import('@promotion/plugin-promotion-backend'));" packages/backend/src/index.ts || return 1
  # Frontend: in the new frontend system the dependency is enough
  # (app.packages: all discovers @promotion/plugin-promotion/alpha).
  yarn --cwd packages/app add @promotion/plugin-promotion@^0.1.0 || return 1
  # Promotion brings no second copy of a Backstage package the app has: the
  # packages it shares with the app (frontend-plugin-api, catalog-react,
  # catalog-node, signals-react) are peer dependencies.
  backstage_versions >"$LOG_DIR/backstage-versions-after.txt"
  local added
  added=$(awk 'NR == FNR { before[$1] = $2; next } ($1 in before) && $2 > before[$1] { print $1 ": " before[$1] " version(s) before, " $2 " after" }' \
    "$LOG_DIR/backstage-versions-before.txt" "$LOG_DIR/backstage-versions-after.txt")
  if [ -n "$added" ]; then
    echo "Installing Promotion added a second copy of Backstage packages the app had:"
    echo "$added"
    return 1
  fi
  echo "no second copy of any Backstage package the app had"
  local nested
  nested=$(find node_modules/@promotion -path '*/node_modules/@backstage/*/package.json' -not -path '*/node_modules/@backstage/*/node_modules/*' 2>/dev/null)
  if [ -n "$nested" ]; then
    echo "Promotion brought its own copies of Backstage packages:"
    echo "$nested"
    return 1
  fi
  echo "no Backstage package nested under @promotion/*"
  if [ "$LEGACY" = 1 ]; then
    # The README's EntityPage.tsx, App.tsx and Root.tsx snippets.
    node "$STEP_DIR/readme-steps.js" legacy "$APP/packages/app/src" || return 1
  fi
  # Configuration: the README's minimal policy.
  { echo; cat "$STEP_DIR/app-config.promotion.yaml"; } >>app-config.yaml
}

# Each @backstage package in the app's yarn.lock and how many versions of it.
backstage_versions() {
  grep -oE '^  resolution: "@backstage/[^@"]+@npm:[^"]+"' yarn.lock |
    sed -E 's/^  resolution: "(@backstage\/[^@]+)@npm:([^"]+)"/\1 \2/' |
    sort -u | awk '{ count[$1]++ } END { for (name in count) print name, count[name] }' | sort
}

step_tsc() {
  cd "$APP" && yarn tsc
}

# The test's own settings, not README steps: ports and the two services.
step_test_config() {
  cat >"$APP/app-config.local.yaml" <<YAML
app:
  baseUrl: http://localhost:$FRONTEND_PORT
backend:
  baseUrl: http://localhost:$BACKEND_PORT
  listen:
    port: $BACKEND_PORT
  cors:
    origin: http://localhost:$FRONTEND_PORT
catalog:
  locations:
    - type: file
      target: ../../examples/org.yaml
      rules:
        - allow: [User, Group]
    - type: file
      target: $STEP_DIR/entities.yaml
YAML
}

step_browser() {
  cd "$REPO_ROOT" &&
    VERIFY_INSTALL_APP_URL="http://localhost:$FRONTEND_PORT" \
      VERIFY_INSTALL_RESULTS="$RESULTS" \
      VERIFY_INSTALL_OUTPUT="$LOG_DIR/playwright" \
      yarn playwright test -c scripts/verify-install/playwright.config.ts
}

if [ "${1:-}" = "--step" ]; then
  "step_$2"
  exit $?
fi

# ---------------------------------------------------------------------------
# The run.

LEGACY=0
if [ "${1:-}" = "--legacy" ]; then LEGACY=1; shift; fi
LOG_DIR="$REPO_ROOT/test-results/install$([ "$LEGACY" = 1 ] && echo -legacy)"
RESULTS="$(realpath -m "${1:-$LOG_DIR/results.json}")"
FRONTEND_PORT="${VERIFY_INSTALL_FRONTEND_PORT:-3400}"
BACKEND_PORT="${VERIFY_INSTALL_BACKEND_PORT:-7407}"
DEADLINE=$((SECONDS + ${VERIFY_INSTALL_TIMEOUT:-2400}))
WORK="$(mktemp -d "${TMPDIR:-/tmp}/promotion-verify-install.XXXXXX")"
APP="$WORK/app"
export LEGACY LOG_DIR RESULTS FRONTEND_PORT BACKEND_PORT WORK APP STEP_DIR
rm -rf "$LOG_DIR" && mkdir -p "$LOG_DIR" "$(dirname "$RESULTS")"
rm -f "$RESULTS"

APP_PID=""
STEP_PID=""
TIMINGS=()
START=$SECONDS

stop_app() {
  [ -n "$APP_PID" ] || return 0
  kill -TERM -- "-$APP_PID" 2>/dev/null
  for _ in $(seq 1 20); do
    kill -0 -- "-$APP_PID" 2>/dev/null || break
    sleep 0.5
  done
  kill -KILL -- "-$APP_PID" 2>/dev/null
  APP_PID=""
}

cleanup() {
  [ -n "$STEP_PID" ] && kill -TERM -- "-$STEP_PID" 2>/dev/null
  stop_app
  if [ "${VERIFY_INSTALL_KEEP:-0}" = 1 ]; then
    echo "verify-install: kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { # step, message
  echo "verify-install: FAILED at \"$1\": $2"
  if [ ! -s "$RESULTS" ]; then
    # One failed test in the Playwright JSON format count-results.js reads.
    node -e '
      const [file, step, message] = process.argv.slice(1);
      require("fs").writeFileSync(file, JSON.stringify({
        stats: { expected: 0, unexpected: 1, flaky: 0, skipped: 0 },
        errors: [{ message: `verify-install: ${step}: ${message}` }],
      }, null, 2));
    ' "$RESULTS" "$1" "$2"
  fi
  echo "Step durations:"
  printf '  %s\n' "${TIMINGS[@]}"
  echo "verify-install: FAILED after $((SECONDS - START))s (logs in $LOG_DIR)"
  exit 1
}

run_step() { # name, limit in seconds, step function
  local name=$1 limit=$2 fn=$3 log="$LOG_DIR/$3.log"
  local left=$((DEADLINE - SECONDS))
  [ "$left" -lt "$limit" ] && limit=$left
  [ "$limit" -gt 0 ] || fail "$name" "no time left"
  echo "==> $name"
  local t0=$SECONDS
  # In the background and waited for, so that a signal reaches the trap
  # at once; `timeout` runs the step in a process group of its own.
  timeout -k 20 "$limit" bash "$SELF" --step "$fn" >"$log" 2>&1 &
  STEP_PID=$!
  wait "$STEP_PID"
  local rc=$? took=$((SECONDS - t0))
  STEP_PID=""
  TIMINGS+=("$(printf '%-34s %5ss' "$name" "$took")")
  echo "    ${took}s"
  if [ $rc -ne 0 ]; then
    tail -n 40 "$log"
    [ $rc -eq 124 ] && fail "$name" "timed out after ${limit}s"
    fail "$name" "exit $rc (log: $log)"
  fi
}

run_step "the README shows these steps" 60 readme
run_step "build and pack the plugins" 900 pack
run_step "create-app $CREATE_APP_VERSION$([ "$LEGACY" = 1 ] && echo ' --legacy')" 300 create_app
run_step "install by the README" 1500 install
run_step "type-check the app (yarn tsc)" 600 tsc
run_step "test settings (ports, catalog)" 30 test_config

echo "==> start the app (yarn start)"
t0=$SECONDS
(cd "$APP" && exec setsid yarn start) >"$LOG_DIR/start.log" 2>&1 </dev/null &
APP_PID=$!
up=0
while [ $SECONDS -lt $((t0 + 600)) ] && [ $SECONDS -lt "$DEADLINE" ]; do
  if ! kill -0 "$APP_PID" 2>/dev/null; then break; fi
  b=$(curl -s -o /dev/null -w '%{http_code}' "http://localhost:$BACKEND_PORT/.backstage/health/v1/readiness")
  f=$(curl -s -o /dev/null -w '%{http_code}' "http://localhost:$FRONTEND_PORT/")
  if [ "$b" = 200 ] && [ "$f" = 200 ]; then up=1; break; fi
  sleep 2
done
took=$((SECONDS - t0))
TIMINGS+=("$(printf '%-34s %5ss' "start until both ends answer" "$took")")
echo "    ${took}s"
if [ $up -ne 1 ]; then
  grep -iE ' error|startup failed' "$LOG_DIR/start.log" | head -20
  fail "start" "the app did not answer on :$FRONTEND_PORT and :$BACKEND_PORT (log: $LOG_DIR/start.log)"
fi

run_step "browser checks (chromium)" 900 browser

stop_app
echo "Step durations:"
printf '  %s\n' "${TIMINGS[@]}"
echo "verify-install: passed in $((SECONDS - START))s"

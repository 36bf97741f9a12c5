#!/usr/bin/env bash
# Installs everything and runs the whole test suite: type-check, lint, every
# jest test (backend on SQLite, PostgreSQL and MariaDB; frontend) and the
# browser tests in Debian's chromium. Prints each phase's duration and, last,
# "N passed, N failed" computed from the runners' JSON results.
set -uo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
set +e
cd "$REPO_ROOT"

RESULTS="$REPO_ROOT/.ci-results"
rm -rf "$RESULTS" && mkdir -p "$RESULTS"
TIMINGS=()
FAILED_PHASES=()

phase() { # name, command...
  local name=$1; shift
  local start=$SECONDS
  echo
  echo "==> $name"
  "$@"
  local rc=$?
  local took=$((SECONDS - start))
  if [ $rc -eq 0 ]; then
    TIMINGS+=("$(printf '%-28s %5ss' "$name" "$took")")
  else
    TIMINGS+=("$(printf '%-28s %5ss  FAILED (exit %s)' "$name" "$took" "$rc")")
    FAILED_PHASES+=("$name")
  fi
  return $rc
}

summary() {
  echo
  echo "Phase durations:"
  printf '  %s\n' "${TIMINGS[@]}"
  if [ ${#FAILED_PHASES[@]} -gt 0 ]; then
    echo "Failed phases: ${FAILED_PHASES[*]}"
  fi
  node scripts/count-results.js "$RESULTS"
}

# Real databases for the tests: TestDatabases reads these; never Docker.
export BACKSTAGE_TEST_DISABLE_DOCKER=1
export BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING="postgresql://postgres@127.0.0.1:5432"
export BACKSTAGE_TEST_DATABASE_MYSQL8_CONNECTION_STRING="mysql://promotion_test:promotion_test@127.0.0.1:3306/mysql"

if ! phase "install" bash scripts/setup.sh; then summary; exit 1; fi
if ! phase "services" bash scripts/services.sh; then summary; exit 1; fi
phase "type-check (tsc)" yarn tsc
phase "lint" yarn backstage-cli repo lint
phase "package.json fix --check" yarn backstage-cli repo fix --publish --check
phase "api reports" yarn build:api-reports --ci
phase "unit and integration tests" env CI=true yarn backstage-cli repo test \
  --json --outputFile="$RESULTS/jest.json"
phase "browser tests (chromium)" bash scripts/e2e.sh "$RESULTS/playwright.json"
phase "install in a new app" bash scripts/verify-install.sh "$RESULTS/install.json"

summary
COUNT_RC=$?
if [ ${#FAILED_PHASES[@]} -gt 0 ] || [ $COUNT_RC -ne 0 ]; then
  exit 1
fi
exit 0

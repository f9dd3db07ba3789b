#!/usr/bin/env bash
# Installs the Debian packages the test suite and the PDF report need, only when missing.
# Idempotent: a machine that already has them runs no apt at all.
set -euo pipefail

packages=(
  postgresql          # the PostgreSQL server the tests start on loopback
  chromium            # the real browser the page tests drive (never a downloaded build)
  poppler-utils       # pdftoppm, to check that PDF reports render as pages
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core  # WeasyPrint
  fonts-ipafont-gothic  # Japanese glyphs, so the Japanese respondent pages are measured as read
)
[ "${1:-}" = "--runtime" ] && packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "error: need root to install ${missing[*]} (run as root, or install them yourself)" >&2
    exit 1
  fi
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

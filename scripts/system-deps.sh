#!/usr/bin/env bash
# Install the Debian packages the tests need (PostgreSQL, chromium, poppler, fonts, gettext, the libraries
# WeasyPrint loads) when missing.
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/lib/chromium/chromium ] || missing+=(chromium)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
command -v xgettext >/dev/null || missing+=(gettext)
# WeasyPrint (agreement PDFs) loads Pango and HarfBuzz's subsetter at run time.
ls /usr/lib/*/libpangoft2-1.0.so.0 >/dev/null 2>&1 || missing+=(libpangoft2-1.0-0)
ls /usr/lib/*/libharfbuzz-subset.so.0 >/dev/null 2>&1 || missing+=(libharfbuzz-subset0)
# The PDFs name DejaVu Sans: it covers Latin, Cyrillic, Hebrew and Persian.
fc-list 'DejaVu Sans' family 2>/dev/null | grep -q . || missing+=(fonts-dejavu-core)
fc-list :lang=he family 2>/dev/null | grep -q . || missing+=(fonts-dejavu-core)
fc-list :lang=fa family 2>/dev/null | grep -q . || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "Missing system packages: ${missing[*]}. Install them as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "Installing system packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" fontconfig >/dev/null

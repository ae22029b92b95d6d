#!/usr/bin/env bash
# Refresh the vendored front-end files from the npm registry at pinned versions.
# The product serves these from its own static files: no page loads anything from another host.
set -euo pipefail
BOOTSTRAP=5.3.8
HTMX=2.0.11
AXE=4.14.1
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "bootstrap@$BOOTSTRAP" "htmx.org@$HTMX" "axe-core@$AXE" >/dev/null
for f in *.tgz; do mkdir -p "${f%.tgz}"; tar xzf "$f" -C "${f%.tgz}"; done
dest="$root/interschool/static/vendor"
rm -rf "$dest"; mkdir -p "$dest/bootstrap" "$dest/htmx"
for f in bootstrap.min.css bootstrap.rtl.min.css; do
  # source maps are not shipped, so drop the comment that points at them
  sed '/sourceMappingURL=/d' "bootstrap-$BOOTSTRAP/package/dist/css/$f" >"$dest/bootstrap/$f"
done
sed '/sourceMappingURL=/d' "bootstrap-$BOOTSTRAP/package/dist/js/bootstrap.bundle.min.js" >"$dest/bootstrap/bootstrap.bundle.min.js"
cp "bootstrap-$BOOTSTRAP/package/LICENSE" "$dest/bootstrap/LICENSE"
cp "htmx.org-$HTMX/package/dist/htmx.min.js" "$dest/htmx/htmx.min.js"
cp "htmx.org-$HTMX/package/LICENSE" "$dest/htmx/LICENSE"
mkdir -p "$root/tests/e2e/vendor"
cp "axe-core-$AXE/package/axe.min.js" "$root/tests/e2e/vendor/axe.min.js"
cp "axe-core-$AXE/package/LICENSE" "$root/tests/e2e/vendor/axe-LICENSE"
printf 'bootstrap %s\nhtmx.org %s\naxe-core %s\n' "$BOOTSTRAP" "$HTMX" "$AXE" >"$dest/VERSIONS"
echo "vendored bootstrap $BOOTSTRAP, htmx.org $HTMX, axe-core $AXE"

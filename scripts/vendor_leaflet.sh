#!/bin/sh
# Copy a pinned Leaflet release from the npm registry into the console's static files, with its
# licence. Run once per upgrade and commit the result: the console never loads a CDN at run time.
# Usage: scripts/vendor_leaflet.sh [VERSION]
set -eu
VERSION="${1:-1.9.4}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/navigator/static/console/vendor/leaflet"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "leaflet@$VERSION" >/dev/null && tar xzf "leaflet-$VERSION.tgz")
rm -rf "$DEST"
mkdir -p "$DEST/images"
cp "$TMP/package/dist/leaflet.js" "$TMP/package/dist/leaflet.css" "$DEST/"
cp "$TMP/package/dist/images/"*.png "$DEST/images/"
cp "$TMP/package/LICENSE" "$DEST/LICENSE"
echo "$VERSION" > "$DEST/VERSION"
echo "Leaflet $VERSION vendored into $DEST"

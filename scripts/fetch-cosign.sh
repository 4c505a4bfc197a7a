#!/bin/sh
# Fetch Debian 13 (trixie)'s `cosign` package into <project>/.cache/cosign without touching the
# machine's apt configuration. Used by test/helpers/cosign.ts (ensureCosign) when no cosign is on PATH.
#
# - A private apt tree (sources.list, lists, cache) lives in a temp dir; /etc/apt is only read for the
#   base configuration, never written.
# - Signatures ARE verified: bookworm's debian-archive-keyring (2023.3+deb12u2 and later) already
#   carries the trixie archive keys (debian-archive-trixie-{automatic,stable}.gpg); the combined
#   keyring /usr/share/keyrings/debian-archive-keyring.gpg includes them.
# - Network: only the Debian mirror (deb.debian.org).
#
# Usage: scripts/fetch-cosign.sh [dest-dir]   (default: <project>/.cache/cosign)
# Env:   COSIGN_DEB_MIRROR (default http://deb.debian.org/debian), COSIGN_DEB_SUITE (default trixie)
set -eu

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
DEST=${1:-"$ROOT/.cache/cosign"}
MIRROR=${COSIGN_DEB_MIRROR:-http://deb.debian.org/debian}
SUITE=${COSIGN_DEB_SUITE:-trixie}
KEYRING=${COSIGN_DEB_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
if ! [ -f "$KEYRING" ]; then
  echo "fetch-cosign: $KEYRING missing (install debian-archive-keyring)" >&2
  exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sigscan-apt.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM
# apt drops privileges to _apt for downloads when run as root; let it write into our private tree.
chmod 755 "$WORK"
mkdir -p "$WORK/lists/partial" "$WORK/cache/archives/partial" "$WORK/download"
echo "deb [signed-by=$KEYRING] $MIRROR $SUITE main" >"$WORK/sources.list"
: >"$WORK/status"
if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then
  chown -R _apt "$WORK/lists" "$WORK/cache" "$WORK/download" 2>/dev/null || true
fi

apt_private() {
  apt-get -q \
    -o Dir::Etc::SourceList="$WORK/sources.list" \
    -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::Etc::Preferences=/dev/null \
    -o Dir::Etc::PreferencesParts=/dev/null \
    -o Dir::State::Lists="$WORK/lists" \
    -o Dir::State::status="$WORK/status" \
    -o Dir::Cache="$WORK/cache" \
    -o Debug::NoLocking=1 \
    -o APT::Get::List-Cleanup=0 \
    "$@"
}

echo "fetch-cosign: apt-get update ($MIRROR $SUITE main)" >&2
if ! apt_private update; then
  echo "fetch-cosign: apt-get update failed. If the error is NO_PUBKEY / not signed, the installed" >&2
  echo "  debian-archive-keyring lacks the $SUITE keys (bookworm has them from 2023.3+deb12u2):" >&2
  echo "  sudo apt-get install --only-upgrade debian-archive-keyring" >&2
  exit 1
fi
echo "fetch-cosign: apt-get download cosign" >&2
(cd "$WORK/download" && apt_private download cosign)

DEB=$(ls "$WORK"/download/cosign_*.deb | head -n 1)
echo "fetch-cosign: extracting $(basename "$DEB") to $DEST" >&2
rm -rf "$DEST.tmp"
mkdir -p "$DEST.tmp"
dpkg-deb -x "$DEB" "$DEST.tmp"
"$DEST.tmp/usr/bin/cosign" version >/dev/null
rm -rf "$DEST"
mv "$DEST.tmp" "$DEST"
echo "$DEST/usr/bin/cosign"

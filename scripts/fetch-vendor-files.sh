#!/usr/bin/env bash
# Fetches real vendor-signed PE files that the Authenticode tests check (test/trust/authenticode-vendor.test.ts)
# into .cache/vendor. They are not committed: they are third-party binaries under their vendors' licences.
#
#   Debian (apt-get download, bookworm):
#     shim-signed            usr/lib/shim/shimx64.efi.signed          two WIN_CERTIFICATE records (Microsoft UEFI CA 2011 + 2023)
#     grub-efi-amd64-signed  usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed   Debian Secure Boot Signer 2022
#     fwupd-amd64-signed     usr/libexec/fwupd/efi/fwupdx64.efi.signed           SpcIndirectData type 1.3.6.1.4.1.311.2.1.21 (pesign)
#   npm (npm pack):
#     electron-winstaller@5.4.4  vendor/signtool.exe   Microsoft, 2010; Microsoft Code Signing PCA signed with 1.3.14.3.2.29
#
# Idempotent (a file already present is kept); offline or without apt-get/npm it says so and exits 0, and the
# tests that need a missing file are skipped with that file named.
set -u
cd "$(dirname "$0")/.."
DEST=.cache/vendor
mkdir -p "$DEST"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

have() { [ -s "$DEST/$1" ]; }

fetch_deb() { # package, path inside the package, name in $DEST
  local pkg=$1 path=$2 name=$3
  have "$name" && return 0
  if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
    echo "fetch-vendor-files: no apt-get/dpkg-deb; $name not fetched"
    return 0
  fi
  if ! (cd "$WORK" && apt-get download -q "$pkg" >/dev/null 2>&1); then
    echo "fetch-vendor-files: apt-get download $pkg failed (offline?); $name not fetched"
    return 0
  fi
  local deb
  deb=$(ls "$WORK"/"${pkg}"_*.deb 2>/dev/null | head -n1)
  mkdir -p "$WORK/$pkg" && dpkg-deb -x "$deb" "$WORK/$pkg" && cp "$WORK/$pkg/$path" "$DEST/$name" &&
    echo "fetch-vendor-files: $name <- $(basename "$deb")"
}

fetch_npm() { # package@version, path inside the tarball, name in $DEST
  local spec=$1 path=$2 name=$3
  have "$name" && return 0
  if ! command -v npm >/dev/null; then
    echo "fetch-vendor-files: no npm; $name not fetched"
    return 0
  fi
  local tgz
  if ! tgz=$(cd "$WORK" && npm pack --silent "$spec" 2>/dev/null | tail -n1) || [ -z "$tgz" ]; then
    echo "fetch-vendor-files: npm pack $spec failed (offline?); $name not fetched"
    return 0
  fi
  mkdir -p "$WORK/npm-$name" && tar -xzf "$WORK/$tgz" -C "$WORK/npm-$name" &&
    cp "$WORK/npm-$name/$path" "$DEST/$name" && echo "fetch-vendor-files: $name <- $spec"
}

fetch_deb shim-signed usr/lib/shim/shimx64.efi.signed shimx64.efi.signed
fetch_deb grub-efi-amd64-signed usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed grubx64.efi.signed
fetch_deb fwupd-amd64-signed usr/libexec/fwupd/efi/fwupdx64.efi.signed fwupdx64.efi.signed
fetch_npm electron-winstaller@5.4.4 package/vendor/signtool.exe electron-winstaller-signtool.exe
exit 0

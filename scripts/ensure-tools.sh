#!/usr/bin/env bash
# Installs what the build and tests need, skipping whatever is already present, so a fresh machine and a warm
# one both work with the same command: the wasm target, the pinned wasm-bindgen-cli, wasm-pack, worker-build, the npm
# tooling (wasm-opt from the `binaryen` package, TypeScript, the runtimes of the test matrix).
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

pinned=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' Cargo.toml)
current=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$current" != "$pinned" ]; then
  echo "installing wasm-bindgen-cli $pinned (found: ${current:-none})"
  cargo install wasm-bindgen-cli --version "$pinned" --force
fi

# The package is built with nightly's build-std when it is there (scripts/build-pkg.sh): it needs rust-src.
if rustup toolchain list 2>/dev/null | grep -q '^nightly' && ! rustup +nightly component list --installed 2>/dev/null | grep -q '^rust-src'; then
  rustup component add rust-src --toolchain nightly || echo "ensure-tools: rust-src unavailable; the package builds with stable" >&2
fi

if ! have wasm-pack; then
  cargo install wasm-pack
fi

# worker-build builds the Rust Worker of the tests (worker-example/rust; scripts/build-rust-worker.sh).
worker_build=0.8.7
current=$(worker-build --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1 || true)
if [ "$current" != "$worker_build" ]; then
  echo "installing worker-build $worker_build (found: ${current:-none})"
  cargo install worker-build --version "$worker_build" --force
fi

# npm tooling, pinned by package-lock.json; reinstalled only when the lock file changed.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

#!/usr/bin/env bash
# Builds the Rust Worker (worker-example/rust) with worker-build into worker-example/rust/build/, offline:
# worker-build is pointed at the wasm-bindgen, esbuild and wasm-opt that `make tools` installed (else it would
# download its own and fail without a network).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export WASM_BINDGEN_BIN="$(command -v wasm-bindgen)"
export ESBUILD_BIN="$root/node_modules/.bin/esbuild"
export WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt"
cd worker-example/rust
worker-build --release

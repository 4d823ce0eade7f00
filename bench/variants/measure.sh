#!/usr/bin/env bash
# Builds the package with a variant transport (a patch in this folder, default gloo-net.patch) in a scratch git
# worktree, then measures CPU per uncached verification against the package in pkg/ (bench/transport.mjs).
# Run after `make pkg`: bash bench/variants/measure.sh [patch] [calls per round]
set -euo pipefail
export PATH="$(cd "$(dirname "$0")/../.." && pwd)/node_modules/.bin:$HOME/.cargo/bin:$PATH"
root=$(cd "$(dirname "$0")/../.." && pwd)
patch=$(cd "$(dirname "${1:-$root/bench/variants/gloo-net.patch}")" && pwd)/$(basename "${1:-gloo-net.patch}")
work=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$work" >/dev/null 2>&1 || true' EXIT
git -C "$root" worktree add --detach "$work" HEAD >/dev/null
git -C "$work" apply "$patch"
ln -s "$root/node_modules" "$work/node_modules"
(cd "$work" && CARGO_TARGET_DIR="$root/target/variant" scripts/build-pkg.sh >/dev/null)
node "$root/bench/transport.mjs" "$work/pkg" "${2:-1000}"

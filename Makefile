# clerk-m2m-edge — `make demo` runs the demo, `make test` runs every test. Both install what they need.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export WRANGLER_SEND_METRICS := false
export CARGO_TERM_COLOR := never
WASM_RUNNER := CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner

.PHONY: all tools pkg worker-deps rust-worker demo test lint test-rust test-wasm test-js test-types test-runtimes bench clean

all: pkg

tools:
	@scripts/ensure-tools.sh

# The npm package: wasm-pack (web target, release, wasm-opt from npm's binaryen), then the entry files.
pkg: tools
	scripts/build-pkg.sh

demo: pkg worker-deps
	node scripts/demo.mjs

# worker-example/ depends on the built package (file:../pkg), Hono and wrangler.
worker-deps: pkg
	cd worker-example && npm ci --no-audit --no-fund --loglevel=error

# The Rust Worker (worker-example/rust), built with worker-build against this crate.
rust-worker: tools
	scripts/build-rust-worker.sh

test: tools lint test-rust pkg test-wasm test-js test-types test-runtimes
	@echo "make test: all suites passed"

# The tree is the architecture: src/core is pure (no JS bindings), and libraries do the generic work (no
# hand-written JSON, SHA-256, base64 or futures executor anywhere in src/ or js/).
lint:
	cargo fmt --check
	@if grep -rnE 'wasm_bindgen|js_sys|web_sys|JsValue' src/core; then echo "lint: src/core must not name JS bindings" >&2; exit 1; fi
	@if grep -rnlE '0x6a09e667|RawWakerVTable|ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789|fn parse_number|JSON\.parse\(json\)' src js; then \
	  echo "lint: a hand-written hash, executor, base64 or JSON codec is back (use the library)" >&2; exit 1; fi
	cargo clippy --all-targets --quiet --features fuzzing -- -D warnings
	cargo clippy --all-targets --quiet --target wasm32-unknown-unknown --features talc -- -D warnings

# The fuzz targets live in their own workspace (cargo-fuzz): checked here so that they cannot rot unnoticed.
test-rust:
	cargo test --quiet --features fuzzing
	cargo check --quiet --manifest-path fuzz/Cargo.toml --all-targets

# The fetch layer compiled to wasm, run under Node against the stand-in.
test-wasm:
	node scripts/with-standin.mjs -- env $(WASM_RUNNER) cargo test --target wasm32-unknown-unknown --test wasm_fetch

test-js: pkg
	node tests/js/install-package.mjs
	node --test --test-reporter=spec tests/js/*.test.mjs

# The hand-written .d.ts, checked from inside the consumer project that installed the tarball.
test-types: test-js
	tsc -p tests/.tmp/consumer --noEmit

# The packed package in workerd (wrangler + Miniflare), Node, Deno, Bun and Vercel's edge-runtime; the Rust Worker
# in workerd.
test-runtimes: test-js worker-deps rust-worker
	node --test --test-reporter=spec tests/runtimes/*.test.mjs

# Side-by-side benchmarks against @clerk/backend, workerd first (not part of `make test`); writes BENCHMARKS.md.
bench: pkg worker-deps
	cd bench && npm ci --no-audit --no-fund --loglevel=error
	node bench/workerd.mjs $(BENCH_ARGS)
	node bench/workerd-own.mjs $(BENCH_ARGS)
	node bench/fleet.mjs
	node --expose-gc bench/run.mjs $(BENCH_ARGS)
	node bench/store-vs-jwt.mjs

clean:
	rm -rf target pkg tests/.tmp worker-example/rust/target worker-example/rust/build

// The Rust Worker (worker-example/rust: workers-rs + this crate's Rust API, built by worker-build) in workerd
// against the stand-in: the same routes and scenario as the JS worker-example — mint, 200 for opaque and JWT
// tokens, the kinds of 401, 403 for a foreign machine, revoke then 401, 503 when Clerk is down. And its outgoing
// tokens from the fleet's broker: the package's JS Durable Object class in a Worker of its own, bound by script name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Miniflare } from 'miniflare';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStandIn } from '../mock-clerk/spawn.mjs';
import { startHost } from './run-host.mjs';
import { inlineWorker } from './inline-worker.mjs';
import { apiEnv, call, expectRejections, expectRevokedRefused, expectUnavailable, isMint, mintAndCall, sessionLike, takeCount } from './scenario.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const consumer = join(root, 'tests/.tmp/consumer');
const built = join(root, 'worker-example/rust/build/index.js');
const CACHE_TTL_MS = 500;

test('workerd: the Rust Worker guards its API — 200, 401s, 403, revoke, 503', async () => {
  assert.ok(existsSync(built), 'built by `make rust-worker` (scripts/build-rust-worker.sh)');
  const standIn = await startStandIn();
  const billing = standIn.machine('billing');
  const env = apiEnv(standIn, { CLERK_CACHE_TTL_MS: String(CACHE_TTL_MS), DEMO_ROUTES: 'true' });
  let host;
  try {
    host = await startHost('workerd', built, env, consumer);
    assert.deepEqual((await call(host, '/health')).body, { ok: true, cache: { entries: 0, capacity: 10_000, refusedStoreEntries: 0 } });
    const { opaque, jwt } = await mintAndCall(host, billing.id);
    assert.equal((await call(host, '/health')).body.cache.entries, 2, 'both verdicts cached in the isolate');

    await expectRejections(host, '/api/whoami', [
      [{}, 'token-missing'],
      [{ authorization: 'Basic dXNlcjpwYXNz' }, 'token-missing'],
      [{ token: 'mt_bad!token' }, 'token-malformed'],
      [{ token: standIn.machine('gateway').secretKey }, 'token-type-mismatch'],
      [{ token: sessionLike(jwt.body.token) }, 'token-type-mismatch'],
      [{ token: 'mt_' + 'r'.repeat(40) }, 'token-invalid'],
    ]);

    const { ClerkM2M } = await import(join(consumer, 'entry.mjs'));
    const reports = new ClerkM2M({ machineSecretKey: standIn.machine('reports').secretKey, apiUrl: standIn.url });
    const forbidden = await call(host, '/api/whoami', { token: (await reports.createToken({ tokenFormat: 'jwt' })).token });
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.error, 'machine-not-in-scope');

    await expectRevokedRefused(host, opaque, CACHE_TTL_MS);

    const unverified = (await call(host, '/tokens', { method: 'POST' })).body.token;
    await expectUnavailable(host, standIn, unverified);
  } finally {
    await host?.stop();
    await standIn.stop();
  }
});

test('workerd: the Rust Worker gets its tokens from the broker Worker (the JS class, bound by script name) — one mint for 4 isolates', async () => {
  assert.ok(existsSync(built), 'built by `make rust-worker` (scripts/build-rust-worker.sh)');
  const standIn = await startStandIn();
  const dir = join(root, 'worker-example/rust/build');
  const rust = {
    modules: [
      { type: 'ESModule', path: join(dir, 'index.js'), contents: readFileSync(join(dir, 'index.js')) },
      { type: 'CompiledWasm', path: join(dir, 'index_bg.wasm'), contents: readFileSync(join(dir, 'index_bg.wasm')) },
    ],
    modulesRoot: dir,
  };
  // The broker Worker exactly as worker-example/broker ships it, bundled as a user's bundler would.
  const broker = await inlineWorker(readFileSync(join(root, 'worker-example/broker/index.js'), 'utf8'), 'rust-broker');
  const env = { ...apiEnv(standIn, { DEMO_ROUTES: 'true' }) };
  const mf = new Miniflare({
    workers: [
      ...Array.from({ length: 4 }, (_, i) => ({
        name: `rust-${i}`, ...rust, compatibilityDate: '2026-04-01', bindings: env,
        durableObjects: { M2M_TOKENS: { className: 'M2MTokenBroker', scriptName: 'clerk-m2m-edge-broker' } },
      })),
      { name: 'clerk-m2m-edge-broker', ...broker, compatibilityDate: '2026-04-01', durableObjects: { M2M_TOKENS: 'M2MTokenBroker' } },
    ],
    cf: false,
  });
  try {
    const isolates = await Promise.all([0, 1, 2, 3].map((i) => mf.getWorker(`rust-${i}`)));
    await standIn.clearRequests();
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      isolates[i % 4].fetch('http://rust/outgoing-token').then((res) => res.json())));
    assert.equal(new Set(answers.map((a) => a.token)).size, 1, JSON.stringify(answers.slice(0, 2)));
    assert.match(answers[0].token, /^eyJ/);
    assert.equal(await takeCount(standIn, isMint), 1, 'one JWT minted for the 4 Rust isolates, by the broker');
    assert.ok(answers.every((a) => a.mints === 0 && a.brokerFallbacks === 0), 'no isolate minted for itself');
  } finally {
    await mf.dispose();
    await standIn.stop();
  }
});

// The Rust Worker (worker-example/rust: workers-rs + this crate's Rust API, built by worker-build) in workerd
// against the stand-in: the same routes and scenario as the JS worker-example — mint, 200 for opaque and JWT
// tokens, the kinds of 401, 403 for a foreign machine, revoke then 401, 503 when Clerk is down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStandIn } from '../mock-clerk/spawn.mjs';
import { startHost } from './run-host.mjs';
import { apiEnv, call, expectRejections, expectRevokedRefused, expectUnavailable, mintAndCall, sessionLike } from './scenario.mjs';

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

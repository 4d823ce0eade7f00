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

const root = fileURLToPath(new URL('../..', import.meta.url));
const consumer = join(root, 'tests/.tmp/consumer');
const built = join(root, 'worker-example/rust/build/index.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const CACHE_TTL_MS = 500;

async function call(host, path, { token, authorization, method = 'GET' } = {}) {
  const headers = {};
  if (authorization !== undefined) headers.authorization = authorization;
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${host.url}${path}`, { method, headers });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

test('workerd: the Rust Worker guards its API — 200, 401s, 403, revoke, 503', async () => {
  assert.ok(existsSync(built), 'built by `make rust-worker` (scripts/build-rust-worker.sh)');
  const standIn = await startStandIn();
  const billing = standIn.machine('billing');
  const env = {
    CLERK_API_URL: standIn.url,
    CLERK_MACHINE_SECRET_KEY: billing.secretKey,
    CLERK_SECRET_KEY: standIn.secretKey,
    CLERK_MACHINE_ID: billing.id,
    CLERK_CACHE_TTL_MS: String(CACHE_TTL_MS),
    DEMO_ROUTES: 'true',
  };
  let host;
  try {
    host = await startHost('workerd', built, env, consumer);
    assert.deepEqual((await call(host, '/health')).body, { ok: true, cache: { entries: 0, capacity: 10_000 } });
    const opaque = await call(host, '/tokens', { method: 'POST' });
    assert.equal(opaque.status, 201, JSON.stringify(opaque.body));
    const jwt = await call(host, '/tokens?format=jwt', { method: 'POST' });
    assert.equal(jwt.body.token.split('.').length, 3);
    for (const [token, format] of [[opaque.body.token, 'opaque'], [jwt.body.token, 'jwt']]) {
      const me = await call(host, '/api/whoami', { token });
      assert.equal(me.status, 200, JSON.stringify(me.body));
      assert.equal(me.body.subject, billing.id);
      assert.equal(me.body.tokenFormat, format);
    }
    assert.equal((await call(host, '/health')).body.cache.entries, 2, 'both verdicts cached in the isolate');

    const [h] = jwt.body.token.split('.');
    const session = `${h}.${Buffer.from(JSON.stringify({ sub: 'user_2abc', exp: 9999999999 })).toString('base64url')}.c2ln`;
    for (const [how, reason] of [
      [{}, 'token-missing'],
      [{ authorization: 'Basic dXNlcjpwYXNz' }, 'token-missing'],
      [{ token: 'mt_bad!token' }, 'token-malformed'],
      [{ token: standIn.machine('gateway').secretKey }, 'token-type-mismatch'],
      [{ token: session }, 'token-type-mismatch'],
      [{ token: 'mt_' + 'r'.repeat(40) }, 'token-invalid'],
    ]) {
      const res = await call(host, '/api/whoami', how);
      assert.equal(res.status, 401, `${reason}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, reason);
      assert.match(res.headers.get('www-authenticate'), /^Bearer realm="clerk-m2m"/);
    }

    const { ClerkM2M } = await import(join(consumer, 'entry.mjs'));
    const reports = new ClerkM2M({ machineSecretKey: standIn.machine('reports').secretKey, apiUrl: standIn.url });
    const forbidden = await call(host, '/api/whoami', { token: (await reports.createToken({ tokenFormat: 'jwt' })).token });
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.error, 'machine-not-in-scope');

    const revoked = await call(host, `/tokens/${opaque.body.id}/revoke`, { method: 'POST' });
    assert.equal(revoked.body.revoked, true);
    await sleep(CACHE_TTL_MS + 100);
    const gone = await call(host, '/api/whoami', { token: opaque.body.token });
    assert.equal(gone.status, 401);
    assert.equal(gone.body.error, 'token-invalid');

    const unverified = (await call(host, '/tokens', { method: 'POST' })).body.token;
    await standIn.stop();
    const down = await call(host, '/api/whoami', { token: unverified });
    assert.equal(down.status, 503);
    assert.equal(down.body.error, 'upstream-unavailable');
    assert.ok(Number(down.headers.get('retry-after')) > 0);
  } finally {
    await host?.stop();
    await standIn.stop();
  }
});

// The worker-example's fetch handler, written once, run in five runtimes against the Clerk stand-in:
// workerd (the worker-example project itself, bundled by wrangler, run by Miniflare with a real KV binding),
// Node 20, Deno, Bun and Vercel's edge-runtime (the same src/index.js, importing the packed package).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStandIn } from '../mock-clerk/spawn.mjs';
import { runtimes, startHost } from './run-host.mjs';
import { apiEnv, call, expectRejections, expectRevokedRefused, expectUnavailable, mintAndCall, isVerify, sessionLike, takeCount } from './scenario.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const consumer = join(root, 'tests/.tmp/consumer');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const CACHE_TTL_MS = 1500;

const app = (runtime) => (runtime === 'workerd' ? join(root, 'worker-example') : join(consumer, 'worker-app.mjs'));

const verifyCalls = (standIn) => takeCount(standIn, isVerify);

/** The values under a persisted KV directory: Miniflare keeps each as a file under `<namespace>/blobs/` (its
 * SQLite metadata files come and go with reads too, so they are not counted). */
function kvFiles(dir) {
  return readdirSync(dir, { recursive: true }).filter((f) => /(^|\/)blobs\//.test(f)).length;
}

/** True once more files than `before` exist under `dir`, polled every 20 ms for at most 5 s. */
async function kvWritten(dir, before) {
  for (let i = 0; i < 250; i++) {
    if (kvFiles(dir) > before) return true;
    await sleep(20);
  }
  return false;
}

for (const runtime of Object.keys(runtimes)) {
  test(`${runtime}: mint, guard, reject, revoke, scope, concurrency, outage`, async () => {
    const standIn = await startStandIn();
    const billing = standIn.machine('billing');
    const env = apiEnv(standIn, { CLERK_CACHE_TTL_MS: String(CACHE_TTL_MS), DEMO_ROUTES: 'true' });
    const persist = runtime === 'workerd' ? mkdtempSync(join(tmpdir(), 'clerk-m2m-kv-')) : undefined;
    let host;
    try {
      host = await startHost(runtime, app(runtime), env, consumer, persist);
      const health = (await call(host, '/health')).body;
      assert.equal(health.ok, true);
      assert.equal(health.cache.capacity, 10_000);

      // Mint an opaque and a JWT token through the worker, call the guarded route with each.
      const { opaque, jwt } = await mintAndCall(host, billing.id);

      // Rejections: status, reason, WWW-Authenticate.
      await expectRejections(host, '/api/whoami', [
        [{}, 'token-missing'],
        [{ authorization: 'Basic dXNlcjpwYXNz' }, 'token-missing'],
        [{ token: 'mt_not valid' }, 'token-malformed'],
        [{ token: 'mt_bad!token' }, 'token-malformed'],
        [{ token: standIn.machine('gateway').secretKey }, 'token-type-mismatch'],
        [{ token: sessionLike(jwt.body.token) }, 'token-type-mismatch'],
      ]);
      assert.equal(await verifyCalls(standIn), 1, 'only the opaque token was verified by Clerk (the JWT locally)');

      // A token minted by another machine that does not name this one: 403.
      const { ClerkM2M } = await import(join(consumer, 'entry.mjs'));
      const reports = new ClerkM2M({ machineSecretKey: standIn.machine('reports').secretKey, apiUrl: standIn.url });
      const foreign = await reports.createToken({ tokenFormat: 'jwt' });
      const forbidden = await call(host, '/api/whoami', { token: foreign.token });
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.body.error, 'machine-not-in-scope');
      assert.match(forbidden.headers.get('www-authenticate'), /error="insufficient_scope"/);

      // 50 concurrent requests with one new token: all 200, at most one verify call each, none once cached.
      const fresh = (await call(host, '/tokens', { method: 'POST' })).body.token;
      await verifyCalls(standIn);
      const burst = await Promise.all(Array.from({ length: 50 }, () => call(host, '/api/whoami', { token: fresh })));
      assert.ok(burst.every((r) => r.status === 200), burst.map((r) => r.status).join(','));
      const first = await verifyCalls(standIn);
      assert.ok(first >= 1 && first <= 50, `${first} verify calls for 50 concurrent requests`);
      const again = await Promise.all(Array.from({ length: 50 }, () => call(host, '/api/whoami', { token: fresh })));
      assert.ok(again.every((r) => r.status === 200));
      assert.equal(await verifyCalls(standIn), 0, 'a cached token costs no call');
      console.log(`# ${runtime}: 50 concurrent cold requests cost ${first} verify call(s); 50 warm ones cost 0`);

      // Revoke the opaque token: rejected once the cache TTL has passed.
      await expectRevokedRefused(host, opaque, CACHE_TTL_MS);

      if (runtime === 'workerd') {
        // A second isolate (a restarted runtime, same KV) reuses the shared result without calling Clerk.
        // Both run with a 60 s TTL, so the stored entry outlives the restart.
        const longTtl = { ...env, CLERK_CACHE_TTL_MS: '60000' };
        await verifyCalls(standIn);
        await host.stop();
        host = await startHost(runtime, app(runtime), longTtl, consumer, persist);
        const shared = (await call(host, '/tokens', { method: 'POST' })).body.token;
        const stored = kvFiles(persist);
        assert.equal((await call(host, '/api/whoami', { token: shared })).status, 200);
        // The KV write runs in waitUntil, after the answer: wait for it to land in the persisted namespace.
        assert.ok(await kvWritten(persist, stored), 'the verdict was written to KV');
        assert.equal(await verifyCalls(standIn), 1);
        await host.stop();
        host = await startHost(runtime, app(runtime), longTtl, consumer, persist);
        const reused = await call(host, '/api/whoami', { token: shared });
        assert.equal(reused.status, 200);
        assert.equal(await verifyCalls(standIn), 0, 'the new isolate was served from KV');
      }

      // Clerk unreachable: 503 with Retry-After, never 200.
      const unverified = (await call(host, '/tokens', { method: 'POST' })).body.token;
      await expectUnavailable(host, standIn, unverified);
    } finally {
      await host?.stop();
      await standIn.stop();
      if (persist) rmSync(persist, { recursive: true, force: true });
    }
  });
}

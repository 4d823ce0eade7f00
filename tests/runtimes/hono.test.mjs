// worker-example/hono (a Hono app guarded by clerk-m2m-edge/hono's m2mAuth) in five runtimes against the
// stand-in: workerd (bundled by wrangler, run by Miniflare with its KV binding), Node, Deno, Bun and
// edge-runtime. 200 with the signed-in machine, the five kinds of 401, 403 for a foreign machine, 503 when
// Clerk is down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStandIn } from '../mock-clerk/spawn.mjs';
import { runtimes, startHost } from './run-host.mjs';
import { apiEnv, call, expectRejections, expectUnavailable } from './scenario.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const consumer = join(root, 'tests/.tmp/consumer');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const app = (runtime) => (runtime === 'workerd' ? join(root, 'worker-example/hono') : join(consumer, 'hono-app.mjs'));

for (const runtime of Object.keys(runtimes)) {
  test(`${runtime}: Hono + m2mAuth — 200, five kinds of 401, 403, 503`, async () => {
    const standIn = await startStandIn();
    const billing = standIn.machine('billing');
    const env = apiEnv(standIn, { CLERK_CLOCK_SKEW_MS: '0' });
    const { ClerkM2M } = await import(join(consumer, 'entry.mjs'));
    const own = new ClerkM2M({ machineSecretKey: billing.secretKey, apiUrl: standIn.url });
    const expiring = await own.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 1 });
    let host;
    try {
      host = await startHost(runtime, app(runtime), env, consumer);
      assert.equal((await call(host, '/health')).body.ok, true);
      for (const format of ['opaque', 'jwt']) {
        const { token } = await own.createToken({ tokenFormat: format, secondsUntilExpiration: 600 });
        const me = await call(host, '/api/whoami', { token });
        assert.equal(me.status, 200, JSON.stringify(me.body));
        assert.equal(me.body.subject, billing.id);
        assert.equal(me.body.tokenFormat, format);
      }
      await sleep(Math.max(0, expiring.expiration - Date.now() + 200));
      await expectRejections(host, '/api/whoami', [
        [{}, 'token-missing'],
        [{ token: 'mt_bad!token' }, 'token-malformed'],
        [{ token: standIn.machine('gateway').secretKey }, 'token-type-mismatch'],
        [{ token: 'mt_' + 'q'.repeat(40) }, 'token-invalid'],
        [{ token: expiring.token }, 'token-expired'],
      ]);
      const reports = new ClerkM2M({ machineSecretKey: standIn.machine('reports').secretKey, apiUrl: standIn.url });
      const forbidden = await call(host, '/api/whoami', { token: (await reports.createToken({ tokenFormat: 'jwt' })).token });
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.body.error, 'machine-not-in-scope');

      const unverified = (await own.createToken()).token;
      await expectUnavailable(host, standIn, unverified);
    } finally {
      await host?.stop();
      await standIn.stop();
    }
  });
}

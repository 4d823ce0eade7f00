// The package loads by plain import, with no init call, in each runtime users deploy to, and works there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startStandIn } from '../mock-clerk/spawn.mjs';
import { runtimes, startHost } from './run-host.mjs';

const consumer = fileURLToPath(new URL('../.tmp/consumer/', import.meta.url));
let standIn;
before(async () => (standIn = await startStandIn()));
after(async () => standIn?.stop());

for (const runtime of Object.keys(runtimes)) {
  test(`${runtime}: import, create, verify, revoke, verify rejected`, async () => {
    const env = {
      CLERK_API_URL: standIn.url,
      CALLER_KEY: standIn.machine('gateway').secretKey,
      RECEIVER_KEY: standIn.machine('billing').secretKey,
    };
    const host = await startHost(runtime, `${consumer}smoke-app.mjs`, env, consumer);
    try {
      const res = await fetch(`${host.url}/smoke`, { method: 'POST' });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      assert.deepEqual(JSON.parse(text), { subject: standIn.machine('gateway').id, sameId: true, afterRevoke: 'token_invalid' });
    } finally {
      await host.stop();
    }
  });
}

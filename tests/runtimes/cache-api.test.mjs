// `cacheApiStore(ctx)` in workerd (Miniflare's Cache API): a verdict written through the Cache API serves the next
// isolate of the data centre with no call to Clerk (an isolate's own cache is cleared to stand for a new one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { startStandIn } from '../mock-clerk/spawn.mjs';
import { inlineWorker } from './inline-worker.mjs';
import { isVerify, takeCount } from './scenario.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const consumer = join(root, 'tests/.tmp/consumer');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const worker = `
import { verifyRequest, cacheApiStore, clearVerificationCache } from 'clerk-m2m-edge';
export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === '/new-isolate') {
      clearVerificationCache();
      return new Response('ok');
    }
    const auth = await verifyRequest(request, {
      machineSecretKey: env.KEY, apiUrl: env.URL, machineId: env.MACHINE_ID, cacheStore: cacheApiStore(ctx),
    });
    return new Response(auth.isAuthenticated ? auth.subject : auth.reason, { status: auth.isAuthenticated ? 200 : auth.status });
  },
};`;

test('workerd: cacheApiStore shares an opaque verdict between isolates through the Cache API', async () => {
  const standIn = await startStandIn();
  const mf = new Miniflare({
    ...(await inlineWorker(worker, 'cache-api-worker')),
    compatibilityDate: '2026-04-01',
    cf: false,
    bindings: { KEY: standIn.machine('billing').secretKey, URL: standIn.url, MACHINE_ID: standIn.machine('billing').id },
  });
  try {
    const { ClerkM2M } = await import(join(consumer, 'entry.mjs'));
    const gateway = standIn.machine('gateway');
    const { token } = await new ClerkM2M({ machineSecretKey: gateway.secretKey, apiUrl: standIn.url }).createToken();
    const call = () => mf.dispatchFetch('http://x/api', { headers: { authorization: `Bearer ${token}` } });
    await standIn.clearRequests();
    const first = await call();
    assert.equal(first.status, 200);
    assert.equal(await first.text(), gateway.id);
    assert.equal(await takeCount(standIn, isVerify), 1);
    // The write runs in waitUntil, after the answer: a new isolate is served from the Cache API once it landed.
    let served = false;
    for (let i = 0; i < 100 && !served; i++) {
      await (await mf.dispatchFetch('http://x/new-isolate')).text();
      const again = await call();
      assert.equal(again.status, 200);
      await again.text();
      served = (await takeCount(standIn, isVerify)) === 0;
      if (!served) await sleep(20);
    }
    assert.ok(served, 'a new isolate was served from the Cache API, with no call to Clerk');
  } finally {
    await mf.dispose();
    await standIn.stop();
  }
});

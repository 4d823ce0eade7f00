// workerd without `navigator` — a compatibility date before 2022-03-21, or the `no_global_navigator` flag — is
// still workerd: a request must never await a mint another request started (workerd cancels it as hung). The
// package knows it runs in workerd from the entry workerd loaded (its `workerd`/`worker` export condition), not
// from `navigator.userAgent`. 20 concurrent cold requests, each awaiting `getToken()`: all answered, none hung.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Miniflare } from 'miniflare';
import { startStandIn } from '../mock-clerk/spawn.mjs';
import { inlineWorker } from './inline-worker.mjs';
import { isMint, takeCount } from './scenario.mjs';

const CONCURRENT = 20;

const worker = `
import { ClerkM2M } from 'clerk-m2m-edge';
let source;
export default {
  async fetch(request, env) {
    source ??= ClerkM2M.fromEnv(env).tokenSource({ secondsUntilExpiration: 600, pool: false });
    const token = await source.getToken();
    return new Response(token.slice(0, 3));
  },
};`;

for (const [settings, compatibility] of [
  ['compatibility date 2021-11-03 (no navigator)', { compatibilityDate: '2021-11-03' }],
  ['the no_global_navigator flag', { compatibilityDate: '2026-04-01', compatibilityFlags: ['no_global_navigator'] }],
  ['a current compatibility date', { compatibilityDate: '2026-04-01' }],
]) {
  test(`workerd with ${settings}: ${CONCURRENT} concurrent cold getToken() requests, none hung`, async () => {
    const standIn = await startStandIn();
    const mf = new Miniflare({
      ...(await inlineWorker(worker, 'settings-worker')),
      cf: false,
      bindings: { CLERK_API_URL: standIn.url, CLERK_MACHINE_SECRET_KEY: standIn.machine('gateway').secretKey },
      ...compatibility,
    });
    try {
      await standIn.clearRequests();
      const answers = await Promise.all(Array.from({ length: CONCURRENT }, () =>
        mf.dispatchFetch('http://x/').then(async (res) => ({ status: res.status, body: await res.text() }))));
      const failed = answers.filter((a) => a.status !== 200);
      assert.deepEqual(failed, [], `${failed.length} of ${CONCURRENT} requests failed (hung or errored)`);
      assert.ok(answers.every((a) => a.body === 'mt_'));
      const mints = await takeCount(standIn, isMint);
      assert.ok(mints >= 1 && mints <= CONCURRENT, `${mints} mints`);
      console.log(`# workerd with ${settings}: ${CONCURRENT} concurrent cold requests, ${mints} mint(s), 0 hung`);
    } finally {
      await mf.dispose();
      await standIn.stop();
    }
  });
}

// Bundled as is: every entry a Worker can import (the package, Hono's adapter, the broker) bundles for workerd with
// no defines at all — nothing reads `process` — and runs. (@clerk/backend needs `process.env.NODE_ENV` defined.)
test('workerd: the package bundles with no defines (no `process` in the bundle) and runs', async () => {
  const source = `
import { ClerkM2M, verifyRequest } from 'clerk-m2m-edge';
import { m2mAuth } from 'clerk-m2m-edge/hono';
export { M2MTokenBroker } from 'clerk-m2m-edge/durable-object';
export default {
  async fetch(request, env) {
    const auth = await verifyRequest(request, { machineSecretKey: 'ak_bundled', allowAnyMachine: true });
    return new Response(String(typeof ClerkM2M === 'function' && typeof m2mAuth === 'function' && auth.reason), { status: 200 });
  },
};`;
  const worker = await inlineWorker(source, 'no-defines');
  const text = worker.modules[0].contents.toString('utf8');
  assert.ok(!/\bprocess\b/.test(text), 'nothing in the bundle names `process`');
  const mf = new Miniflare({ ...worker, compatibilityDate: '2026-04-01', cf: false, durableObjects: { M2M_TOKENS: 'M2MTokenBroker' } });
  try {
    const res = await mf.dispatchFetch('http://x/');
    assert.equal(await res.text(), 'token-missing', 'it ran: a request without a token is refused');
  } finally {
    await mf.dispose();
  }
});

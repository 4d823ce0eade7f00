// A fleet in workerd: the same caller script as 8 separate Workers in one workerd (8 isolates, module state apart),
// 200 concurrent cold requests spread across them, each awaiting `getToken()`. Counted at the stand-in: with
// Clerk's pooling (the default for opaque tokens) the fleet creates 1 token; without it, and for JWTs (which Clerk
// never pools), the baseline is printed. (The Durable Object broker of issue 18 is not built yet.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Miniflare } from 'miniflare';
import { startStandIn } from '../mock-clerk/spawn.mjs';
import { inlineWorker } from './inline-worker.mjs';
import { isMint, takeCount } from './scenario.mjs';

const ISOLATES = 8;
const REQUESTS = 200;

const caller = `
import { ClerkM2M } from 'clerk-m2m-edge';
let source;
export default {
  async fetch(request, env) {
    source ??= ClerkM2M.fromEnv(env).tokenSource({
      secondsUntilExpiration: 600, tokenFormat: env.FORMAT, pool: env.POOL !== 'false', claims: { fleet: env.RUN },
    });
    return new Response((await source.getToken()).slice(0, 3));
  },
};`;

/** `REQUESTS` concurrent cold requests across `ISOLATES` Workers of one script: `{ mints, created }` at the stand-in. */
async function fleet(standIn, bindings) {
  const script = await inlineWorker(caller, 'fleet-caller'); // one script: each Worker is an isolate of its own
  const mf = new Miniflare({
    workers: Array.from({ length: ISOLATES }, (_, i) => ({
      name: `caller-${i}`,
      ...script,
      compatibilityDate: '2026-04-01',
      bindings: { CLERK_API_URL: standIn.url, CLERK_MACHINE_SECRET_KEY: standIn.machine('gateway').secretKey, ...bindings },
    })),
    cf: false,
  });
  try {
    const workers = await Promise.all(Array.from({ length: ISOLATES }, (_, i) => mf.getWorker(`caller-${i}`)));
    const before = (await (await fetch(`${standIn.url}/__admin/tokens`)).json()).length;
    await standIn.clearRequests();
    const answers = await Promise.all(Array.from({ length: REQUESTS }, (_, i) =>
      workers[i % ISOLATES].fetch('http://caller/').then(async (res) => `${res.status} ${await res.text()}`)));
    const prefix = bindings.FORMAT === 'jwt' ? 'eyJ' : 'mt_';
    assert.deepEqual([...new Set(answers)], [`200 ${prefix}`], 'every request got a token');
    const mints = await takeCount(standIn, isMint);
    const created = (await (await fetch(`${standIn.url}/__admin/tokens`)).json()).length - before;
    return { mints, created };
  } finally {
    await mf.dispose();
  }
}

test(`workerd fleet: ${ISOLATES} isolates, ${REQUESTS} concurrent cold requests — with Clerk's pooling, 1 token created`, async () => {
  const standIn = await startStandIn();
  try {
    const pooled = await fleet(standIn, { RUN: 'pooled' });
    const unpooled = await fleet(standIn, { RUN: 'unpooled', POOL: 'false' });
    const jwt = await fleet(standIn, { RUN: 'jwt', FORMAT: 'jwt' });
    console.log(`# fleet of ${ISOLATES} isolates, ${REQUESTS} cold requests: opaque pooled ${pooled.created} token(s) created `
      + `(${pooled.mints} create calls); opaque pool: false ${unpooled.created} created; JWT ${jwt.mints} minted`);
    assert.equal(pooled.created, 1, 'pooling: the fleet creates one token (the other create calls are answered with it)');
    assert.ok(pooled.mints >= ISOLATES, 'in workerd each cold request asks (no request awaits another): Clerk pools');
    assert.ok(unpooled.created >= ISOLATES, `without pooling, at least one token per isolate: ${unpooled.created}`);
    assert.ok(jwt.mints >= ISOLATES, `JWTs are never pooled: ${jwt.mints} mints`);
  } finally {
    await standIn.stop();
  }
});

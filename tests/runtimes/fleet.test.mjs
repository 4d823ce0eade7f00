// A fleet in workerd: the same caller script as 8 separate Workers in one workerd (8 isolates, module state apart),
// 200 concurrent cold requests spread across them, each awaiting `getToken()`. Counted at the stand-in:
// - with Clerk's pooling (the default for opaque tokens) the fleet creates 1 token; without it, and for JWTs
//   (which Clerk never pools), one per isolate or more: the baseline, printed;
// - with the broker (the package's `M2MTokenBroker` Durable Object, in a Worker of its own that every caller binds),
//   1 JWT mint for the fleet; after the margin exactly one more; a restarted broker with its storage mints nothing;
//   with Clerk down at refresh time the held token is served until it expires, and not after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startStandIn } from '../mock-clerk/spawn.mjs';
import { startFleet } from './fleet.mjs';
import { createdSoFar, isMint, takeCount } from './scenario.mjs';

const ISOLATES = 8;
const REQUESTS = 200;

/** A fleet of `ISOLATES` callers against the stand-in; `round()` also counts what Clerk saw meanwhile. */
async function startCountedFleet(standIn, bindings, { broker = false, persist } = {}) {
  const fleet = await startFleet({
    isolates: ISOLATES, broker, persist,
    bindings: { CLERK_API_URL: standIn.url, CLERK_MACHINE_SECRET_KEY: standIn.machine('gateway').secretKey, ...bindings },
  });
  return {
    /** `REQUESTS` concurrent requests across the isolates: the distinct answers, and what Clerk saw meanwhile. */
    async round() {
      const before = await createdSoFar(standIn);
      const answers = await fleet.round(REQUESTS);
      const mints = await takeCount(standIn, isMint);
      const created = (await createdSoFar(standIn)) - before;
      const distinct = [...new Set(answers.map((a) => (a.status === 200 ? a.token : `${a.status} ${a.error}`)))];
      const fallbacks = answers.reduce((n, a) => Math.max(n, a.stats?.brokerFallbacks ?? 0), 0);
      return { distinct, mints, created, fallbacks };
    },
    dispose: fleet.dispose,
  };
}

/** One cold round of a fresh fleet. */
async function coldRound(standIn, bindings, options) {
  const fleet = await startCountedFleet(standIn, bindings, options);
  try {
    await standIn.clearRequests();
    return await fleet.round();
  } finally {
    await fleet.dispose();
  }
}

test(`workerd fleet: ${ISOLATES} isolates, ${REQUESTS} concurrent cold requests — Clerk's pooling creates 1 token, the broker mints 1 JWT`, async () => {
  const standIn = await startStandIn();
  try {
    const pooled = await coldRound(standIn, { RUN: 'pooled' });
    const unpooled = await coldRound(standIn, { RUN: 'unpooled', POOL: 'false' });
    const jwt = await coldRound(standIn, { RUN: 'jwt', FORMAT: 'jwt' });
    const brokered = await coldRound(standIn, { RUN: 'brokered', FORMAT: 'jwt' }, { broker: true });
    console.log(`# fleet of ${ISOLATES} isolates, ${REQUESTS} cold requests: opaque pooled ${pooled.created} token(s) created `
      + `(${pooled.mints} create calls); opaque pool: false ${unpooled.created} created; JWT ${jwt.mints} minted; `
      + `JWT with the broker ${brokered.mints} minted`);
    for (const run of [pooled, unpooled, jwt, brokered]) assert.equal(run.distinct.every((t) => /^(mt_|eyJ)/.test(t)), true, `every request got a token: ${run.distinct}`);
    assert.equal(pooled.created, 1, 'pooling: the fleet creates one token (the other create calls are answered with it)');
    assert.ok(pooled.mints >= ISOLATES, 'in workerd each cold request asks (no request awaits another): Clerk pools');
    assert.ok(unpooled.created >= ISOLATES, `without pooling, at least one token per isolate: ${unpooled.created}`);
    assert.ok(jwt.mints >= ISOLATES, `JWTs are never pooled: ${jwt.mints} mints`);
    assert.equal(brokered.mints, 1, 'the broker: one JWT for the fleet');
    assert.equal(brokered.distinct.length, 1, 'every isolate holds the same token');
    assert.equal(brokered.fallbacks, 0, 'no isolate minted for itself');
  } finally {
    await standIn.stop();
  }
});

test('workerd fleet with the broker: one more mint after the margin, none after a restart, the held token while Clerk is down', async () => {
  const standIn = await startStandIn();
  const persist = mkdtempSync(join(tmpdir(), 'clerk-m2m-broker-'));
  // 12 s tokens, a 4 s margin: callers refresh at 8 s; the broker mints the successor 2 s before (its alarm).
  const bindings = { RUN: 'timeline', FORMAT: 'jwt', LIFETIME: '12', MARGIN: '4' };
  let fleet = await startCountedFleet(standIn, bindings, { broker: true, persist });
  try {
    await standIn.clearRequests();
    const first = await fleet.round();
    const start = Date.now(); // the first token was minted before this: its times are at most these

    assert.equal(first.mints, 1, 'cold: one mint for the fleet');
    const [firstToken] = first.distinct;

    await sleep(start + 8_500 - Date.now());
    const [ahead] = (await standIn.requests()).filter(isMint);
    assert.ok(ahead && ahead.at < start + 8_000, 'the broker minted the successor ahead, before any caller needed it');
    const second = await fleet.round(); // every isolate's token is inside its margin now
    assert.equal(second.mints, 1, 'after the margin: exactly one more mint for the fleet (the broker\'s, ahead)');
    // While an isolate asks the broker, its other requests are served the token in hand (still valid): then all
    // hold the successor, and nothing more is minted.
    const settled = await fleet.round();
    assert.equal(settled.mints, 0);
    assert.equal(settled.distinct.length, 1, JSON.stringify(settled));
    assert.notEqual(settled.distinct[0], firstToken, 'the successor');
    assert.ok(second.distinct.every((t) => t === firstToken || t === settled.distinct[0]), JSON.stringify(second));
    const [secondToken] = settled.distinct;
    // The second token's times follow from when it was minted: its successor is due 6 s after, callers refresh
    // 8 s after, it expires 12 s after. Clerk goes down now, well before the successor is due.
    const minted = ahead.at;
    await standIn.fault({ method: 'POST', path: '/m2m_tokens', status: 503, times: 100_000 });

    await fleet.dispose(); // the broker restarts; its storage stays
    fleet = await startCountedFleet(standIn, bindings, { broker: true, persist });
    const restarted = await fleet.round();
    assert.equal(restarted.mints, 0, 'a restarted broker serves the token in its storage: no mint');
    assert.deepEqual(restarted.distinct, [secondToken]);

    await sleep(minted + 9_000 - Date.now());
    const down = await fleet.round(); // the isolates' tokens are inside their margin; the broker's refresh failed
    assert.deepEqual(down.distinct, [secondToken], 'Clerk down at refresh time: the held token, to every request');
    await sleep(minted + 13_500 - Date.now());
    const expired = await fleet.round();
    assert.ok(expired.distinct.every((a) => a.startsWith('503 ')), `never after it expired: ${expired.distinct}`);

    // The broker's storage holds the token (a bearer credential, sealed), never the machine key.
    const stored = readdirSync(persist, { recursive: true }).map((f) => join(persist, f)).filter((f) => statSync(f).isFile())
      .map((f) => readFileSync(f).toString('latin1')).join('\n');
    assert.ok(stored.includes('clerk-m2m-edge:v2:token:'), 'the sealed entry is in the object\'s storage');
    assert.ok(!stored.includes(standIn.machine('gateway').secretKey), 'never the key');
  } finally {
    await standIn.clearFaults();
    await fleet.dispose();
    rmSync(persist, { recursive: true, force: true });
    await standIn.stop();
  }
});

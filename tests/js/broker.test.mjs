// The token source's side of the broker (`tokenSource({ broker })`), through the packed package in Node: the broker is
// the package's own wasm broker (`__TokenBroker`, the half of `M2MTokenBroker` that does the work) behind a namespace
// of the Durable Object binding's shape, or a namespace an attacker or an outage controls. An answer that does not
// open under the asker's key is never used; a broker that cannot answer costs a mint of the source's own (counted),
// never an outage. (In workerd, with the real Durable Object: tests/runtimes/fleet.test.mjs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pkg, useStandIn, takeRequests, rejection } from './helpers.mjs';

const { ClerkM2M, ClerkM2MError, verificationCacheStats, clearVerificationCache } = pkg;
// The glue the package's entry loaded (the same module instance): its internal broker class.
const { __TokenBroker } = await import(new URL('../.tmp/consumer/node_modules/clerk-m2m-edge/clerk_m2m_edge.js', import.meta.url));
const standIn = useStandIn();
const mintsIn = (log) => log.filter((r) => r.method === 'POST' && r.path === '/m2m_tokens').length;

/** A namespace of the binding's shape whose stub's `fetch` is `answer(ask)`; records the names asked for. */
function namespace(answer) {
  const names = [];
  const asks = [];
  return {
    names,
    asks,
    idFromName(name) {
      names.push(name);
      return { name };
    },
    get: () => ({
      fetch: async (url, init) => {
        asks.push(init.body);
        return answer(init.body);
      },
    }),
  };
}

/** A namespace in front of one real broker (the wasm's), over a Map as the object's storage. */
function brokerNamespace() {
  const storage = new Map();
  const broker = new __TokenBroker({ cacheStore: { get: async (k) => storage.get(k), put: async (k, v) => void storage.set(k, v) } });
  const ns = namespace(async (ask) => {
    try {
      return new Response(await broker.answer(ask));
    } catch (error) {
      return Response.json({ error: error.code }, { status: 502 });
    }
  });
  return Object.assign(ns, { storage, broker });
}

function source(extra = {}, machine = 'gateway') {
  const m2m = new ClerkM2M({ machineSecretKey: standIn.machine(machine).secretKey, apiUrl: standIn.url });
  return m2m.tokenSource({ secondsUntilExpiration: 600, tokenFormat: 'jwt', ...extra });
}

test('many sources asking one broker: one mint; the name is a digest, never the key', async () => {
  const ns = brokerNamespace();
  await takeRequests(standIn);
  const sources = Array.from({ length: 20 }, () => source({ broker: ns }));
  const tokens = await Promise.all(sources.map((s) => s.getToken()));
  assert.equal(new Set(tokens).size, 1, 'one token for all');
  assert.equal(mintsIn(await takeRequests(standIn)), 1, 'one mint: the broker shares it');
  assert.deepEqual(sources[0].stats(), { mints: 0, brokerAnswers: 1, brokerFallbacks: 0 });
  const [name] = new Set(ns.names);
  assert.match(name, /^clerk-m2m-edge:v2:token:[0-9a-f]{64}$/);
  assert.equal(new Set(ns.names).size, 1, 'one object for one configuration');
  assert.ok(!name.includes(standIn.machine('gateway').secretKey));
  assert.ok(![...ns.storage.values()].some((v) => v.includes(standIn.machine('gateway').secretKey)), 'storage: never the key');
  const other = source({ broker: ns, claims: { other: true } });
  await other.getToken();
  assert.equal(new Set(ns.names).size, 2, 'other options, another object');
});

test('a token given up on is replaced by the broker once, for every source', async () => {
  const ns = brokerNamespace();
  const [a, b] = [source({ broker: ns }), source({ broker: ns })];
  const first = await a.getToken();
  assert.equal(await b.getToken(), first);
  await takeRequests(standIn);
  a.invalidate(); // as after a callee's 401
  const second = await a.getToken();
  assert.notEqual(second, first, 'the broker gave it up too');
  assert.ok(JSON.parse(ns.asks.at(-1)).give_up.match(/^[0-9a-f]{64}$/), 'the ask names it by digest');
  assert.ok(!ns.asks.at(-1).includes(first), 'never by the token');
  b.invalidate();
  assert.equal(await b.getToken(), second, "another source's give-up of the same token costs nothing more");
  const log = await takeRequests(standIn);
  assert.equal(mintsIn(log), 1);
});

test("a broker that cannot answer costs a mint of the source's own, counted — never an outage", async () => {
  const outages = {
    'get throws': { idFromName: () => ({}), get: () => { throw new Error('no such object'); } },
    'fetch rejects': namespace(() => Promise.reject(new Error('network'))),
    'a 500': namespace(() => new Response('overloaded', { status: 500 })),
    'never answers': namespace(() => new Promise(() => {})),
  };
  for (const [name, ns] of Object.entries(outages)) {
    const m2m = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url, timeoutMs: 300 });
    const s = m2m.tokenSource({ secondsUntilExpiration: 600, tokenFormat: 'jwt', broker: ns });
    await takeRequests(standIn);
    const started = Date.now();
    assert.match(await s.getToken(), /^eyJ/, name);
    assert.ok(Date.now() - started < 2_000, `${name}: bounded by timeoutMs`);
    assert.deepEqual(s.stats(), { mints: 1, brokerAnswers: 0, brokerFallbacks: 1 }, name);
    assert.equal(mintsIn(await takeRequests(standIn)), 1, name);
    await s.getToken();
    assert.equal(s.stats().brokerFallbacks, 1, `${name}: the token in hand serves; no ask until the margin`);
  }
});

test('an answer that does not open under the asker\'s key is refused: the attacker\'s token is never used', async () => {
  // A genuine answer for another machine's configuration, the same answer edited, and a bare token.
  const real = brokerNamespace();
  const reports = source({ broker: real }, 'reports');
  const theirs = await reports.getToken();
  const [entry] = real.storage.values();
  const forged = {
    'another key\'s entry': entry,
    'an edited entry': entry.replace(/.{8}$/, 'AAAAAAAA'),
    'a bare token': theirs,
    'an unsealed entry': JSON.stringify({ token: theirs, expires_at: null, refresh_at: null }),
  };
  for (const [name, text] of Object.entries(forged)) {
    clearVerificationCache();
    const s = source({ broker: namespace(() => new Response(text)) });
    const token = await s.getToken();
    assert.notEqual(token, theirs, name);
    assert.deepEqual(s.stats(), { mints: 1, brokerAnswers: 0, brokerFallbacks: 1 }, name);
    assert.equal(verificationCacheStats().refusedStoreEntries, 1, `${name}: counted`);
  }
});

test('broker: a namespace is checked when the source is built', async () => {
  const m2m = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
  for (const broker of [{}, 'M2M_TOKENS', 1, { idFromName() {} }, { get() {} }]) {
    const error = rejection(Promise.resolve().then(() => m2m.tokenSource({ broker })));
    const e = await error;
    assert.ok(e instanceof ClerkM2MError, String(broker));
    assert.equal(e.code, 'invalid_argument');
    assert.equal(e.field, 'broker');
  }
  const typo = await rejection(Promise.resolve().then(() => m2m.tokenSource({ brokers: {} })));
  assert.match(typo.message, /did you mean broker\?/);
});

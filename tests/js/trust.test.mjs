// Issue 17, "trust only what we hold the key to", through the packed package against the stand-in: what an
// attacker who can write the shared store, a typo in an option name or an unset binding could let through before,
// each with the input that showed it. Calls to Clerk and store writes are counted.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { pkg, useStandIn, takeRequests, rejection, receiverOptions } from './helpers.mjs';

const { ClerkM2M, ClerkM2MError, verifyRequest, clearVerificationCache, verificationCacheStats } = pkg;
const standIn = useStandIn();
beforeEach(() => clearVerificationCache());

const bearer = (token) => new Request('https://billing.internal/api', { headers: { authorization: `Bearer ${token}` } });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const b64url = (text) => Buffer.from(text).toString('base64url');

const receiver = (extra = {}) => receiverOptions(standIn, extra);
const mint = (machine, options = {}) =>
  new ClerkM2M({ machineSecretKey: standIn.machine(machine).secretKey, apiUrl: standIn.url }).createToken(options);

/** A store anyone can write: every `get` answers `answer(key)`; reads and writes are counted. */
function hostileStore(answer) {
  const store = { gets: 0, puts: [] };
  store.get = async (key) => (store.gets++, answer(key));
  store.put = async (key, value) => void store.puts.push([key, value]);
  return store;
}

/** What a made-up verdict looked like in v1: `{ until, identity }` for any key. */
const madeUpVerdict = () => JSON.stringify({
  until: 9e15,
  identity: {
    tokenFormat: 'opaque', id: 'mt_' + 'b'.repeat(32), subject: standIn.machine('gateway').id,
    scopes: [standIn.machine('billing').id], claims: { admin: true }, expiration: null,
  },
});

test('a made-up store entry signs nobody in: not a made-up opaque token, not an unsigned JWT', async () => {
  for (const prefix of ['', 'x'.repeat(43) + '.']) {
    const store = hostileStore(() => prefix + madeUpVerdict());
    await takeRequests(standIn);
    const auth = await verifyRequest(bearer('mt_' + 'B'.repeat(40)), receiver({ cacheStore: store }));
    assert.equal(auth.isAuthenticated, false);
    assert.equal(auth.reason, 'token-invalid', 'Clerk decided, not the store');
    assert.equal((await takeRequests(standIn)).length, 1);
    assert.equal(store.puts.length, 0, 'a rejection is never written to the store');
    assert.equal(verificationCacheStats().refusedStoreEntries, 1, 'the forged entry is counted');
    clearVerificationCache();
  }

  const unsigned = `${b64url('{"alg":"none","typ":"JWT"}')}.${b64url(JSON.stringify({
    jti: 'mt_' + 'c'.repeat(32), sub: standIn.machine('gateway').id, aud: [standIn.machine('billing').id],
    iat: 1, nbf: 1, exp: 9e9,
  }))}.`;
  const store = hostileStore(() => madeUpVerdict());
  const pemOnly = { jwtKey: standIn.jwtPublicKeyPem, machineId: standIn.machine('billing').id, cacheStore: store };
  const auth = await verifyRequest(bearer(unsigned), pemOnly);
  assert.equal(auth.reason, 'token-invalid');
  assert.equal(store.gets, 0, 'a jwtKey-only guard holds no secret to open entries with: it reads none');
});

test('a real entry copied to another key, edited, or written under another secret is a miss', async () => {
  const honest = new Map();
  const honestStore = { get: async (k) => honest.get(k) ?? null, put: async (k, v) => void honest.set(k, v) };
  const real = await mint('gateway');
  assert.equal((await verifyRequest(bearer(real.token), receiver({ cacheStore: honestStore }))).isAuthenticated, true);
  const [[realKey, realEntry]] = [...honest];
  assert.match(realKey, /^clerk-m2m-edge:v2:[0-9a-f]{64}$/);

  // The same verdict under another secret: a guard keyed with the reports machine writes its own entry.
  const otherSecret = new Map();
  clearVerificationCache();
  const reportsGuard = receiver({ machineSecretKey: standIn.machine('reports').secretKey, machineId: standIn.machine('reports').id });
  const fromReports = await mint('gateway');
  await verifyRequest(bearer(fromReports.token), { ...reportsGuard, cacheStore: { get: async () => null, put: async (k, v) => void otherSecret.set(k, v) } });
  const [[, otherEntry]] = [...otherSecret];

  const victim = await mint('gateway');
  await mint('gateway').then(() => new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url })
    .revokeToken({ m2mTokenId: victim.id }));
  for (const [what, entry] of [
    ['copied from another token', realEntry],
    ['written under another secret', otherEntry],
    ['edited to extend it', realEntry.replace(/"until":\d+/, '"until":9000000000000000')],
  ]) {
    clearVerificationCache();
    await takeRequests(standIn);
    const auth = await verifyRequest(bearer(victim.token), receiver({ cacheStore: hostileStore(() => entry) }));
    assert.equal(auth.reason, 'token-invalid', `${what}: the revoked token stays refused`);
    assert.equal((await takeRequests(standIn)).length, 1, what);
    assert.equal(verificationCacheStats().refusedStoreEntries, 1, what);
  }
});

test('JWT verdicts and rejections never reach the store; an accepted opaque verdict is written once', async () => {
  const store = hostileStore(() => null);
  const jwt = await mint('gateway', { tokenFormat: 'jwt' });
  const opaque = await mint('gateway');
  assert.equal((await verifyRequest(bearer(jwt.token), receiver({ cacheStore: store }))).isAuthenticated, true);
  for (let i = 0; i < 20; i++) await verifyRequest(bearer(`mt_junk_${i}_${'z'.repeat(30)}`), receiver({ cacheStore: store }));
  assert.equal(store.puts.length, 0, 'no JWT verdict, no junk verdict written');
  assert.equal((await verifyRequest(bearer(opaque.token), receiver({ cacheStore: store }))).isAuthenticated, true);
  assert.equal(store.puts.length, 1);
  assert.equal(store.gets, 21, 'one read per distinct opaque token, none for the JWT');
});

test("one guard's cache TTL never serves another: a revoked token is refused within the reader's own TTL", async () => {
  const token = await mint('gateway');
  const long = receiver({ cacheTtlMs: 300_000 });
  const short = receiver({ cacheTtlMs: 200 });
  assert.equal((await verifyRequest(bearer(token.token), long)).isAuthenticated, true);
  await new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url }).revokeToken({ m2mTokenId: token.id });
  assert.equal((await verifyRequest(bearer(token.token), long)).isAuthenticated, true, "within the long guard's own TTL (documented)");
  await sleep(300);
  const auth = await verifyRequest(bearer(token.token), short);
  assert.equal(auth.reason, 'token-invalid', "the short guard's 200 ms have passed: it asks Clerk (revoked)");
});

test('an unknown option name is invalid_argument naming it and the closest one, everywhere, before any request', async () => {
  const m2m = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
  const request = bearer('mt_' + 'q'.repeat(40));
  await takeRequests(standIn);
  const cases = [
    ['constructor', () => new ClerkM2M({ machineSecretKey: 'ak_x', apiURL: standIn.url }), 'apiURL', 'apiUrl'],
    ['fromEnv overrides', () => ClerkM2M.fromEnv({ CLERK_SECRET_KEY: 'sk_x' }, { timeout: 5 }), 'timeout', 'timeoutMs'],
    ['createToken', () => m2m.createToken({ secondsUntilExpiry: 60 }), 'secondsUntilExpiry', 'secondsUntilExpiration'],
    ['list', () => m2m.list({ subject: standIn.machine('gateway').id, limt: 5 }), 'limt', 'limit'],
    ['revokeToken', () => m2m.revokeToken({ m2mTokenId: 'mt_' + 'a'.repeat(32), reason: 'x' }), 'reason', 'revocationReason'],
    ['verify', () => m2m.verify({ token: 'mt_x', machineSecret: 'ak_x' }), 'machineSecret', 'machineSecretKey'],
    ['verifyWithHttpInfo', () => m2m.verifyWithHttpInfo({ tokn: 'mt_x' }), 'tokn', 'token'],
    ['verifyRequest', () => verifyRequest(request, receiver({ machineID: standIn.machine('billing').id })), 'machineID', 'machineId'],
    ['m2m.verifyRequest', () => m2m.verifyRequest(request, { allowAnyMachine: true, cacheTTL: 5 }), 'cacheTTL', 'cacheTtlMs'],
    ['tokenSource', () => m2m.tokenSource({ refreshBefore: 30 }), 'refreshBefore', 'refreshBeforeSeconds'],
  ];
  for (const [where, call, field, closest] of cases) {
    const err = await rejection((async () => call())());
    assert.ok(err instanceof ClerkM2MError, where);
    assert.equal(err.code, 'invalid_argument', where);
    assert.equal(err.field, field, where);
    assert.match(err.message, new RegExp(`did you mean ${closest}\\?`), where);
  }
  assert.equal((await takeRequests(standIn)).length, 0, 'nothing reached Clerk');
});

test('the receiving machine is explicit: a typo or an unset binding throws, never accepts a foreign JWT', async () => {
  // A JWT minted for another service: reports' token names gateway only, never billing.
  const foreign = await mint('reports', { tokenFormat: 'jwt' });
  await takeRequests(standIn);
  for (const [what, options] of [
    ['machineID (a typo)', { secretKey: standIn.secretKey, apiUrl: standIn.url, machineID: standIn.machine('billing').id }],
    ['machineId: undefined (an unset binding)', { secretKey: standIn.secretKey, apiUrl: standIn.url, machineId: undefined }],
    ['machineId: "" (an empty binding)', { secretKey: standIn.secretKey, apiUrl: standIn.url, machineId: '' }],
    ['neither', { secretKey: standIn.secretKey, apiUrl: standIn.url }],
    ['allowAnyMachine: false', { secretKey: standIn.secretKey, apiUrl: standIn.url, allowAnyMachine: false }],
  ]) {
    const err = await rejection(verifyRequest(bearer(foreign.token), options));
    assert.equal(err.code, 'invalid_argument', what);
    assert.ok(['machineId', 'machineID'].includes(err.field), what);
  }
  const viaClient = new ClerkM2M({ secretKey: standIn.secretKey, apiUrl: standIn.url });
  assert.equal((await rejection(viaClient.verifyRequest(bearer(foreign.token)))).field, 'machineId');
  assert.equal((await takeRequests(standIn)).length, 0, 'no JWKS, no verify: thrown before any request');
  const scoped = await verifyRequest(bearer(foreign.token), receiver());
  assert.equal(scoped.status, 403, 'with machineId the foreign token is refused');
  const any = await verifyRequest(bearer(foreign.token), { secretKey: standIn.secretKey, apiUrl: standIn.url, allowAnyMachine: true });
  assert.equal(any.isAuthenticated, true, 'allowAnyMachine: true is the only way to accept any machine');
});

/** A server on 127.0.0.1 that records what reaches it; `/redirect?to=URL` answers 302 to URL, the rest 200. */
async function listening() {
  const { createServer } = await import('node:http');
  const server = { received: [] };
  server.http = createServer((req, res) => {
    server.received.push({ url: req.url, authorization: req.headers.authorization });
    const to = new URL(req.url, 'http://x').searchParams.get('to');
    if (to) return res.writeHead(302, { location: to }).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise((resolve) => server.http.listen(0, '127.0.0.1', resolve));
  server.origin = `http://127.0.0.1:${server.http.address().port}`;
  server.close = () => new Promise((resolve) => server.http.close(resolve));
  return server;
}

test('tokens go only to their origins: a foreign URL, no origins, or a redirect sends the attacker nothing', async () => {
  const [api, attacker] = [await listening(), await listening()];
  try {
    const m2m = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
    const source = m2m.tokenSource({ origins: [api.origin] });
    assert.equal((await source.fetch(`${api.origin}/ok`)).status, 200);
    assert.match(api.received[0].authorization, /^Bearer mt_/);

    for (const input of [`${attacker.origin}/x`, new URL(`${attacker.origin}/x`), new Request(`${attacker.origin}/x`), '/relative']) {
      for (const init of [undefined, { method: 'POST', body: 'x' }]) {
        const err = await rejection(source.fetch(input, init));
        assert.equal(err.code, 'invalid_argument');
        assert.equal(err.field, 'url', String(input));
      }
    }
    const unrestricted = m2m.tokenSource({});
    assert.equal((await rejection(unrestricted.fetch(`${api.origin}/ok`))).field, 'origins', 'no origins: fetch sends nothing');
    assert.match(await unrestricted.getToken(), /^mt_/, 'getToken needs none');

    for (const init of [undefined, { redirect: 'follow' }, { headers: { 'x-a': '1' } }]) {
      const res = await source.fetch(`${api.origin}/redirect?to=${encodeURIComponent(`${attacker.origin}/stolen`)}`, init);
      assert.equal(res.status, 302, 'the redirect goes back to the caller');
    }
    assert.equal(attacker.received.length, 0, 'not one request reached another origin');

    for (const origins of [['http://billing.internal'], ['https://x.example/path'], ['https://u:p@x.example'], [], 'https://x.example', ['ftp://x.example'], [5]]) {
      assert.throws(() => m2m.tokenSource({ origins }), (err) => err.field === 'origins', JSON.stringify(origins));
    }
    for (const origins of [['https://billing.internal/'], ['http://localhost:8787', 'http://[::1]:9', 'https://a.example:8443']]) {
      m2m.tokenSource({ origins });
    }
  } finally {
    await Promise.all([api.close(), attacker.close()]);
  }
});

test('Clerk calls never follow a redirect with the key; http: is for loopback hosts only', async () => {
  const attacker = await listening();
  try {
    const m2m = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url, maxRetries: 0 });
    await standIn.fault({ path: '/m2m_tokens', method: 'POST', status: 307, headers: { location: `${attacker.origin}/v1/m2m_tokens` } });
    const err = await rejection(m2m.createToken());
    assert.equal(err.status, 307, 'a 3xx is an error answer, never followed');
    const token = await m2m.createToken();
    await standIn.fault({ path: '/m2m_tokens/verify', method: 'POST', status: 302, headers: { location: `${attacker.origin}/v1/m2m_tokens/verify` }, times: 3 });
    const auth = await verifyRequest(bearer(token.token), receiver({ maxRetries: 0 }));
    assert.equal(auth.reason, 'upstream-unavailable');
    assert.equal(auth.status, 503);
    await standIn.clearFaults();
    assert.equal(attacker.received.length, 0, 'neither the key nor the token left for another host');
  } finally {
    await attacker.close();
  }
  for (const apiUrl of ['http://api.clerk.com', 'http://10.0.0.1:8080', 'http://127.0.0.1.example.com']) {
    assert.throws(() => new ClerkM2M({ secretKey: 'sk_x', apiUrl }), (err) => err.field === 'apiUrl', apiUrl);
  }
  new ClerkM2M({ secretKey: 'sk_x', apiUrl: 'http://localhost:8080' });
});

const mints = (log) => log.filter((r) => r.method === 'POST' && r.path === '/m2m_tokens').length;

test('a callee that answers 401 to every token: 100 calls in 5 s cost the mints the re-mint backoff allows', async () => {
  const { createServer } = await import('node:http');
  let received = 0;
  const callee = createServer((req, res) => (received++, res.writeHead(401).end()));
  await new Promise((resolve) => callee.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${callee.address().port}`;
  try {
    const m2m = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
    const source = m2m.tokenSource({ origins: [origin] });
    await takeRequests(standIn);
    const started = Date.now();
    for (let i = 0; i < 100; i++) {
      assert.equal((await source.fetch(`${origin}/api`)).status, 401, 'the 401 goes back to the caller');
      await sleep(Math.max(0, started + (i + 1) * 50 - Date.now()));
    }
    const elapsed = Date.now() - started;
    const spent = mints(await takeRequests(standIn));
    // The first mint, then re-mints at 0 s, 1 s, 3 s (backoff 1 s, 2 s, 4 s …): 4 in the first 5 s (was 101).
    const allowed = 1 + [0, 1_000, 3_000, 7_000, 15_000].filter((t) => t <= elapsed).length;
    assert.ok(spent >= 2 && spent <= allowed, `${spent} mints in ${elapsed} ms (at most ${allowed})`);
    assert.ok(received >= 100 && received <= 100 + spent, `${received} requests: a re-sent request per re-mint at most`);
  } finally {
    await new Promise((resolve) => callee.close(resolve));
  }
});

test('Clerk down and no token: 100 getToken in 1 s cost at most 2 Clerk calls, each failing with the mint’s error', async () => {
  const m2m = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url, maxRetries: 0 });
  const source = m2m.tokenSource({});
  await standIn.fault({ path: '/m2m_tokens', method: 'POST', status: 503, times: 1000 });
  await takeRequests(standIn);
  const started = Date.now();
  for (let i = 0; i < 100; i++) {
    const err = await rejection(source.getToken());
    assert.equal(err.status, 503);
    await sleep(Math.max(0, started + (i + 1) * 10 - Date.now()));
  }
  await standIn.clearFaults();
  const calls = mints(await takeRequests(standIn));
  assert.ok(calls >= 1 && calls <= 2, `${calls} Clerk calls in ${Date.now() - started} ms`);
});

test('a 429 with Retry-After: 100 requests cost 1 Clerk call; the guard answers 503 with Retry-After, mints fail fast', async () => {
  const guard = receiver({ machineSecretKey: standIn.machine('outsider').secretKey, machineId: standIn.machine('outsider').id, maxRetries: 0 });
  await standIn.fault({ path: '/m2m_tokens/verify', method: 'POST', status: 429, headers: { 'retry-after': '30' } });
  await takeRequests(standIn);
  // One after another, as requests arrive after the 429 (calls already in flight when it came cannot be unsent).
  const answers = [];
  for (let i = 0; i < 100; i++) answers.push(await verifyRequest(bearer(`mt_distinct_${i}_${'x'.repeat(30)}`), guard));
  for (const auth of answers) {
    assert.equal(auth.status, 503);
    assert.ok(Number(auth.toResponse().headers.get('retry-after')) > 0);
  }
  const afterFirst = await verifyRequest(bearer('mt_later_' + 'y'.repeat(32)), guard);
  assert.equal(afterFirst.reason, 'upstream-unavailable');
  assert.equal((await takeRequests(standIn)).length, 1, 'one call; the pause answered the rest');

  const outsider = new ClerkM2M({ machineSecretKey: standIn.machine('outsider').secretKey, apiUrl: standIn.url, maxRetries: 0 });
  const err = await rejection(outsider.createToken());
  assert.equal(err.status, 429, 'a mint with the paused key fails at once');
  assert.ok(err.retryAfter > 0 && err.retryAfter <= 30);
  assert.equal((await takeRequests(standIn)).length, 0, 'and sends nothing');
});

test('a cacheStore that never settles: the guard answers within storeTimeoutMs, and never waits for a put', async () => {
  const token = await mint('gateway');
  const hanging = { get: () => new Promise(() => {}), put: () => new Promise(() => {}) };
  let started = Date.now();
  const auth = await verifyRequest(bearer(token.token), receiver({ cacheStore: hanging, storeTimeoutMs: 100 }));
  assert.equal(auth.isAuthenticated, true, 'a get that never settles is a miss; Clerk decides');
  const took = Date.now() - started;
  assert.ok(took >= 90 && took < 100 + 2_000, `${took} ms: the store's 100 ms, then Clerk`);
  clearVerificationCache();
  const slowPut = { get: async () => null, put: () => new Promise(() => {}) };
  started = Date.now();
  assert.equal((await verifyRequest(bearer(token.token), receiver({ cacheStore: slowPut }))).isAuthenticated, true);
  assert.ok(Date.now() - started < 1_000, 'a put that never settles is not waited for (default storeTimeoutMs 1,000)');
  for (const storeTimeoutMs of [0, -1, 'x', Infinity]) {
    const err = await rejection(verifyRequest(bearer(token.token), receiver({ cacheStore: slowPut, storeTimeoutMs })));
    assert.equal(err.field, 'storeTimeoutMs');
  }
});

test('m2m.verify and verifyRequest apply one rule to a JWT with only a machine key: token-type-mismatch, nothing sent', async () => {
  const jwt = await mint('gateway', { tokenFormat: 'jwt' });
  const billing = new ClerkM2M({ machineSecretKey: standIn.machine('billing').secretKey, apiUrl: standIn.url });
  await takeRequests(standIn);
  const err = await rejection(billing.verify({ token: jwt.token }));
  assert.equal(err.code, 'token_invalid');
  assert.equal(err.reason, 'token-type-mismatch');
  const auth = await billing.verifyRequest(bearer(jwt.token), { machineId: standIn.machine('billing').id });
  assert.equal(auth.reason, 'token-type-mismatch');
  assert.equal((await takeRequests(standIn)).length, 0);
});

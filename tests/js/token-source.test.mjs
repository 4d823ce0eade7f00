// The caller's side, through the packed package: a token source mints once, refreshes ahead of expiry, keeps
// serving a valid token while Clerk is down, and authorizes outgoing fetches to a callee guarded by
// verifyRequest — which, after a revoke, answers 401, and the source mints once and retries once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { pkg, useStandIn, takeRequests, rejection } from './helpers.mjs';

const { ClerkM2M, TokenSource, ClerkM2MError, ClerkAPIResponseError, verifyRequest } = pkg;
const standIn = useStandIn();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mintsIn = (log) => log.filter((r) => r.method === 'POST' && r.path === '/m2m_tokens').length;

/** The callee: billing's API, guarded by verifyRequest (no result cache, so a revoke shows at once). */
const callee = { received: [] };
before(async () => {
  callee.server = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    callee.received.push({ method: req.method, body, authorization: req.headers.authorization });
    if (req.url.endsWith('/deny')) return res.writeHead(401).end(); // refuses every token
    const auth = await verifyRequest(
      { headers: { get: (name) => req.headers[name.toLowerCase()] ?? null } },
      { machineSecretKey: standIn.machine('billing').secretKey, apiUrl: standIn.url, machineId: standIn.machine('billing').id, cache: false },
    );
    const status = auth.isAuthenticated ? 200 : auth.status;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(auth.isAuthenticated ? { caller: auth.machineId, body } : { error: auth.reason }));
  });
  await new Promise((resolve) => callee.server.listen(0, '127.0.0.1', resolve));
  callee.origin = `http://127.0.0.1:${callee.server.address().port}`;
  callee.url = `${callee.origin}/api`;
});
after(() => callee.server.close());

/** Revokes every live token of the gateway machine (the source's among them). */
async function revokeAll(client) {
  const live = await client.list({ subject: standIn.machine('gateway').id, revoked: false, limit: 100 });
  for (const t of live.data) await client.revokeToken({ m2mTokenId: t.id, revocationReason: 'test' });
}

const gatewayClient = (extra = {}) =>
  new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url, ...extra });

test('1,000 getToken calls cost one mint', async () => {
  const source = gatewayClient().tokenSource({ secondsUntilExpiration: 3600, refreshBeforeSeconds: 300 });
  assert.ok(source instanceof TokenSource);
  await takeRequests(standIn);
  const first = await source.getToken();
  assert.match(first, /^mt_/);
  for (let i = 0; i < 1000; i++) assert.equal(await source.getToken(), first);
  assert.equal(mintsIn(await takeRequests(standIn)), 1);
});

test('50 concurrent getToken calls in Node share one mint', async () => {
  const source = gatewayClient().tokenSource({ secondsUntilExpiration: 3600 });
  await takeRequests(standIn);
  const tokens = await Promise.all(Array.from({ length: 50 }, () => source.getToken()));
  assert.equal(new Set(tokens).size, 1);
  assert.equal(mintsIn(await takeRequests(standIn)), 1);
});

test('a new token is minted once the refresh margin is reached, never before', async () => {
  // Lifetime 4 s, refresh when less than 2 s is left: fresh for the first 2 s. Asked at 0.3 s (1.7 s to spare on
  // a loaded machine) and at 2.3 s (inside the margin; even a late call past the expiration must mint).
  // pool: false — this is about the margin of a token this source minted (pooling may hand back an older one).
  const source = gatewayClient().tokenSource({ secondsUntilExpiration: 4, refreshBeforeSeconds: 2, pool: false });
  await takeRequests(standIn);
  const first = await source.getToken();
  await sleep(300);
  assert.equal(await source.getToken(), first, 'before the margin: the same token');
  assert.equal(mintsIn(await takeRequests(standIn)), 1);
  await sleep(2000);
  const second = await source.getToken();
  assert.notEqual(second, first, 'inside the margin: a new token');
  assert.equal(await source.getToken(), second);
  assert.equal(mintsIn(await takeRequests(standIn)), 1, 'exactly one more mint');
});

test('Clerk down: a still-valid token is served; with none left, the mint’s typed error', async () => {
  const client = gatewayClient({ maxRetries: 0 });
  const source = client.tokenSource({ secondsUntilExpiration: 30, refreshBeforeSeconds: 29.5, pool: false });
  const held = await source.getToken();
  await sleep(600); // inside the margin
  await standIn.fault({ path: '/m2m_tokens', method: 'POST', status: 503, times: 5 });
  await takeRequests(standIn);
  assert.equal(await source.getToken(), held, 'the refresh failed: the current token, still valid');
  assert.equal(await source.getToken(), held, 'and no second try during the backoff');
  assert.equal(mintsIn(await takeRequests(standIn)), 1);

  const cold = client.tokenSource({ secondsUntilExpiration: 60 });
  const err = await rejection(cold.getToken());
  assert.ok(err instanceof ClerkAPIResponseError, String(err));
  assert.equal(err.status, 503);
  await standIn.clearFaults();
  await takeRequests(standIn);
  const again = await rejection(cold.getToken());
  assert.equal(again.status, 503, 'within the 1 s backoff: the same error, at once');
  assert.equal(mintsIn(await takeRequests(standIn)), 0, 'and no call to Clerk');
  await sleep(1100);
  assert.match(await cold.getToken(), /^mt_/, 'Clerk back, the backoff passed: the next call mints');
});

test('source.fetch: Authorization set; revoked → 401 → one re-mint → 200; a stream body gets the 401', async () => {
  const client = gatewayClient();
  const source = client.tokenSource({ origins: [callee.origin], secondsUntilExpiration: 600 });
  callee.received = [];
  await takeRequests(standIn);
  const ok = await source.fetch(callee.url);
  assert.equal(ok.status, 200);
  assert.equal((await ok.json()).caller, standIn.machine('gateway').id);
  const token = await source.getToken();
  assert.equal(callee.received[0].authorization, `Bearer ${token}`);

  await revokeAll(client);
  callee.received = [];
  const posted = await source.fetch(callee.url, { method: 'POST', body: 'hello', headers: { 'x-trace': '1' } });
  assert.equal(posted.status, 200, 'one re-mint, one retry');
  assert.equal((await posted.json()).body, 'hello', 'the string body was sent again');
  assert.deepEqual(callee.received.map((r) => r.body), ['hello', 'hello']);
  assert.notEqual(await source.getToken(), token);
  const log = await takeRequests(standIn);
  assert.equal(mintsIn(log), 2, 'the first token and exactly one re-mint');

  await revokeAll(client);
  callee.received = [];
  const stream = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode('streamed')), c.close()) });
  const refused = await source.fetch(callee.url, { method: 'POST', body: stream, duplex: 'half' });
  assert.equal(refused.status, 401, 'a stream cannot be sent again: the 401 comes back untouched');
  assert.match((await refused.json()).error, /^token-(revoked|invalid)$/);
  assert.equal(callee.received.length, 1);
  await takeRequests(standIn);
  assert.equal((await source.fetch(callee.url)).status, 200, 'the token was still given up: the next call mints');
  assert.equal(mintsIn(await takeRequests(standIn)), 1);
});

test('source.fetch: when the re-mint fails, the call rejects with the mint’s typed error; never two re-mints', async () => {
  const client = gatewayClient({ maxRetries: 0 });
  const source = client.tokenSource({ origins: [callee.origin], secondsUntilExpiration: 600 });
  assert.equal((await source.fetch(new URL(callee.url))).status, 200);
  await standIn.fault({ path: '/m2m_tokens', method: 'POST', status: 500 });
  const err = await rejection(source.fetch(new Request(`${callee.url}/deny`)));
  assert.ok(err instanceof ClerkAPIResponseError);
  assert.equal(err.status, 500);
  assert.equal((await rejection(source.getToken())).status, 500, 'within the mint backoff: the same error at once');
  await sleep(1100); // both backoffs (the mint's and the refusal's) pass
  await source.getToken(); // a token in hand again
  await takeRequests(standIn);
  callee.received = [];
  const denied = await source.fetch(`${callee.url}/deny`);
  assert.equal(denied.status, 401, 'the retry was refused too: its 401 comes back');
  assert.equal(callee.received.length, 2, 'sent twice, no more');
  assert.equal(mintsIn(await takeRequests(standIn)), 1, 'one re-mint per call, at most');
  callee.received = [];
  const again = await source.fetch(`${callee.url}/deny`);
  assert.equal(again.status, 401);
  assert.equal(callee.received.length, 1, 'inside the re-mint backoff: sent once, its 401 back');
  assert.equal(mintsIn(await takeRequests(standIn)), 0, 'and no mint');
});

test('source.fetch sends through a fetcher (a service binding or a function) when given', async () => {
  const seen = [];
  const binding = { fetch: (input, init) => (seen.push(['binding', String(input)]), fetch(input, init)) };
  const fn = (input, init) => (seen.push(['function', String(input)]), fetch(input, init));
  for (const fetcher of [binding, fn]) {
    const res = await gatewayClient().tokenSource({ origins: [callee.origin], fetcher }).fetch(callee.url);
    assert.equal(res.status, 200);
  }
  assert.deepEqual(seen, [['binding', callee.url], ['function', callee.url]]);
  for (const fetcher of [5, 'fetch', {}, { fetch: 1 }]) {
    assert.throws(() => gatewayClient().tokenSource({ fetcher }), (err) => err.code === 'invalid_argument' && err.field === 'fetcher');
  }
  const liarSource = gatewayClient().tokenSource({ origins: [callee.origin], fetcher: async () => 'not a response' });
  const liar = await rejection(liarSource.fetch(callee.url));
  assert.ok(liar instanceof TypeError, 'a fetcher that answers no Response: its call fails as fetch would');
  assert.ok((await rejection(liarSource.fetch(callee.url))) instanceof TypeError, 'with a token in hand too');
});

test('a plain source.fetch(url) with a token in hand: 401 → one re-mint → 200; fetch failures stay fetch’s', async () => {
  const closed = http.createServer();
  await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = closed.address().port;
  closed.close();
  const client = gatewayClient();
  const source = client.tokenSource({ origins: [callee.origin, `http://127.0.0.1:${port}`], secondsUntilExpiration: 600 });
  assert.equal((await source.fetch(callee.url)).status, 200);
  const first = await source.getToken();
  await revokeAll(client);
  await takeRequests(standIn);
  const res = await source.fetch(callee.url);
  assert.equal(res.status, 200);
  assert.notEqual(await source.getToken(), first);
  assert.equal(mintsIn(await takeRequests(standIn)), 1);
  const err = await rejection(source.fetch(`http://127.0.0.1:${port}/`));
  assert.ok(err instanceof TypeError && !(err instanceof ClerkM2MError), String(err));
  assert.equal(await source.getToken(), await source.getToken(), 'a network failure gives no token up');
});

test('a call under way survives its source being freed (the 401 check is owned by the pending call)', async () => {
  const source = gatewayClient().tokenSource({ origins: [callee.origin] });
  await source.getToken(); // a fresh token in hand: the next plain fetch takes the immediate path
  const pending = source.fetch(callee.url);
  source.free();
  const res = await pending;
  assert.equal(res.status, 200);
});

test('a Request input that carries a body is not replayed: its 401 comes back, the token is given up', async () => {
  const source = gatewayClient().tokenSource({ origins: [callee.origin] });
  const first = await source.getToken();
  callee.received = [];
  await takeRequests(standIn);
  const res = await source.fetch(new Request(`${callee.url}/deny`, { method: 'POST', body: 'once' }));
  assert.equal(res.status, 401);
  assert.deepEqual(callee.received.map((r) => r.body), ['once'], 'sent once');
  assert.equal(mintsIn(await takeRequests(standIn)), 0, 'no re-mint for a request that cannot be resent');
  assert.notEqual(await source.getToken(), first, 'the refused token was given up');
});

test('source.fetch refuses a caller-set Authorization header and sends nothing', async () => {
  const source = gatewayClient().tokenSource({ origins: [callee.origin] });
  callee.received = [];
  for (const init of [
    { headers: { Authorization: 'Bearer mine' } },
    { headers: [['authorization', 'Bearer mine']] },
    { headers: new Headers({ authorization: 'Basic x' }) },
  ]) {
    const err = await rejection(source.fetch(callee.url, init));
    assert.ok(err instanceof ClerkM2MError);
    assert.equal(err.code, 'invalid_argument');
    assert.equal(err.field, 'headers');
  }
  const err = await rejection(source.fetch(new Request(callee.url, { headers: { authorization: 'Bearer x' } })));
  assert.equal(err.code, 'invalid_argument');
  // A Request of another realm fails `instanceof`: it is known by its shape, and its headers are read too.
  const foreign = { url: callee.url, method: 'GET', headers: new Headers({ authorization: 'Bearer x' }) };
  assert.equal((await rejection(source.fetch(foreign))).field, 'headers');
  assert.equal(callee.received.length, 0);
});

test('source.fetch reads init as fetch does: members defined by getters (a class instance) are sent', async () => {
  const source = gatewayClient().tokenSource({ origins: [callee.origin] });
  class Init {
    get method() { return 'POST'; }
    get body() { return 'from a getter'; }
  }
  callee.received = [];
  const res = await source.fetch(callee.url, new Init());
  assert.equal(res.status, 200);
  assert.deepEqual(callee.received.map((r) => [r.method, r.body]), [['POST', 'from a getter']]);
});

test('bad options throw invalid_argument synchronously, before anything is minted', async () => {
  const client = gatewayClient();
  await takeRequests(standIn);
  const cases = [
    [{ secondsUntilExpiration: 0 }, 'secondsUntilExpiration'],
    [{ secondsUntilExpiration: -5 }, 'secondsUntilExpiration'],
    [{ secondsUntilExpiration: 'an hour' }, 'secondsUntilExpiration'],
    [{ secondsUntilExpiration: 60, refreshBeforeSeconds: 60 }, 'refreshBeforeSeconds'],
    [{ secondsUntilExpiration: 60, refreshBeforeSeconds: 120 }, 'refreshBeforeSeconds'],
    [{ refreshBeforeSeconds: -1 }, 'refreshBeforeSeconds'],
    [{ refreshBeforeSeconds: '5' }, 'refreshBeforeSeconds'],
    [{ tokenFormat: 'bogus' }, 'tokenFormat'],
    [{ cacheStore: {} }, 'cacheStore'],
    [{ machineSecretKey: 5 }, 'machineSecretKey'],
  ];
  for (const [options, field] of cases) {
    assert.throws(
      () => client.tokenSource(options),
      (err) => err instanceof ClerkM2MError && err.code === 'invalid_argument' && err.field === field,
      JSON.stringify(options),
    );
  }
  assert.throws(() => new ClerkM2M({ apiUrl: standIn.url }).tokenSource(), (err) => err.code === 'missing_key');
  assert.equal(mintsIn(await takeRequests(standIn)), 0);
});

test('a cacheStore shares the token across isolates; its key holds no secret, its value is the token', async () => {
  const entries = new Map();
  const puts = [];
  const cacheStore = {
    get: async (key) => entries.get(key) ?? null,
    put: async (key, value, options) => (puts.push(options), entries.set(key, value)),
  };
  const options = { secondsUntilExpiration: 600, tokenFormat: 'jwt', cacheStore };
  await takeRequests(standIn);
  const token = await gatewayClient().tokenSource(options).getToken();
  const again = await gatewayClient().tokenSource(options).getToken(); // a cold isolate: another client
  assert.equal(again, token);
  assert.equal(mintsIn(await takeRequests(standIn)), 1);
  const [[key, value]] = [...entries];
  assert.match(key, /^clerk-m2m-edge:v2:token:[0-9a-f]{64}$/);
  assert.ok(!key.includes(standIn.machine('gateway').secretKey) && !value.includes(standIn.machine('gateway').secretKey));
  assert.ok(value.includes(token), 'the entry is a bearer credential (documented)');

  // The store is untrusted: a token planted there (unsealed, or the real entry edited) is never sent.
  for (const planted of [JSON.stringify({ token: 'mt_planted', expires_at: null, refresh_at: null }), value.replace(token, 'mt_planted')]) {
    const store = { get: async () => planted, put: async () => {} };
    const fresh = await gatewayClient().tokenSource({ ...options, cacheStore: store }).getToken();
    assert.notEqual(fresh, 'mt_planted');
    assert.equal(mintsIn(await takeRequests(standIn)), 1, 'a planted token is a miss: the source mints');
  }
  assert.ok(puts[0].expirationTtl >= 60 && puts[0].expirationTtl <= 600);
  const other = await gatewayClient().tokenSource({ ...options, claims: { role: 'x' } }).getToken();
  assert.notEqual(other, token, 'other options, another entry');
});

test('no token or key in a source’s string form or in its errors', async () => {
  const key = standIn.machine('gateway').secretKey;
  const source = gatewayClient().tokenSource();
  const token = await source.getToken();
  for (const text of [String(source), JSON.stringify(source), Object.keys(source).join()]) {
    assert.ok(!text.includes(token) && !text.includes(key), text);
  }
  source.invalidate();
  await standIn.fault({ path: '/m2m_tokens', method: 'POST', status: 422 });
  const err = await rejection(source.getToken());
  for (const text of [err.message, String(err), JSON.stringify(err)]) {
    assert.ok(!text.includes(token) && !text.includes(key), text);
  }
});

test('Clerk pooling (on by default): two isolates minting opaque tokens get one token; pool: false or JWTs get two', async () => {
  const created = async () => (await (await fetch(`${standIn.url}/__admin/tokens`)).json()).length;
  await standIn.reset();
  const options = { secondsUntilExpiration: 600, claims: { pooled: 'yes' } };
  const first = await gatewayClient().tokenSource(options).getToken();
  const second = await gatewayClient().tokenSource(options).getToken(); // another isolate: its own client and source
  assert.equal(second, first, 'the second mint got the first token back from Clerk');
  assert.equal(await created(), 1, 'one token created for both');
  const log = await takeRequests(standIn);
  const asked = log.filter((r) => r.method === 'POST' && r.path === '/m2m_tokens').map((r) => JSON.parse(r.body).min_remaining_ttl_seconds);
  assert.deepEqual(asked.slice(-2), [360, 360], 'the margin (60 s: at least 30 s) plus half the lifetime (300 s)');

  await standIn.reset();
  const a = await gatewayClient().tokenSource({ ...options, pool: false }).getToken();
  const b = await gatewayClient().tokenSource({ ...options, pool: false }).getToken();
  assert.notEqual(a, b);
  const jwtA = await gatewayClient().tokenSource({ ...options, tokenFormat: 'jwt' }).getToken();
  const jwtB = await gatewayClient().tokenSource({ ...options, tokenFormat: 'jwt' }).getToken();
  assert.notEqual(jwtA, jwtB, 'JWTs are never pooled');
  assert.equal(await created(), 2, 'the two pool: false tokens (JWTs are not kept by Clerk)');

  // A token given up on never comes back from the pool.
  await standIn.reset();
  const source = gatewayClient().tokenSource(options);
  const given = await source.getToken();
  source.invalidate();
  assert.notEqual(await source.getToken(), given, 'the mint after invalidate() asked for a new token');
  assert.throws(() => gatewayClient().tokenSource({ pool: 'yes' }), (err) => err.field === 'pool');
});

// verifyRequest through the packed package, against the stand-in: the story (opaque and JWT accepted, revoked
// rejected once the TTL passes, JWTs with no calls after the JWKS), the call budget of the cache, every rejection's
// status, reason and headers, and the misconfigurations that throw.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { pkg, useStandIn, takeRequests, rejection, receiverOptions } from './helpers.mjs';

const { ClerkM2M, ClerkM2MError, verifyRequest, clearVerificationCache, verificationCacheStats } = pkg;
const standIn = useStandIn();
beforeEach(() => clearVerificationCache());

const request = (authorization) => new Request('https://billing.internal/api/whoami', {
  headers: authorization === undefined ? {} : { authorization },
});
const bearer = (token) => request(`Bearer ${token}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Options for the receiving machine ("billing"): its own key, and the instance secret key for the JWKS. */
const receiver = (extra = {}) => receiverOptions(standIn, extra);

function caller() {
  return new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
}

async function expectRejected(auth, reason, status) {
  assert.equal(auth.isAuthenticated, false);
  assert.equal(auth.tokenType, 'm2m_token');
  assert.equal(auth.reason, reason);
  assert.equal(auth.status, status);
  assert.equal(typeof auth.message, 'string');
  const res = auth.toResponse();
  assert.ok(res instanceof Response);
  assert.equal(res.status, status);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.deepEqual(await res.json(), { error: reason, message: auth.message });
  return res;
}

test('opaque and JWT tokens are accepted; a revoked token is rejected once the cache TTL passes', async () => {
  const m2m = caller();
  const opaque = await m2m.createToken({ claims: { job: 'sync' } });
  const jwt = await m2m.createToken({ tokenFormat: 'jwt', claims: { job: 'report' } });
  // A long TTL for the "within the TTL" step and a reader whose own TTL has passed for the "after" step: time is
  // an input of the test, not a race with a slow machine.
  const options = receiver({ cacheTtlMs: 60_000 });

  const a = await verifyRequest(bearer(opaque.token), options);
  assert.deepEqual(a, {
    isAuthenticated: true, tokenType: 'm2m_token', tokenFormat: 'opaque', id: opaque.id,
    subject: standIn.machine('gateway').id, machineId: standIn.machine('gateway').id,
    scopes: standIn.machine('gateway').scopes, claims: { job: 'sync' }, expiration: opaque.expiration,
  });
  const b = await verifyRequest(bearer(jwt.token), options);
  assert.equal(b.isAuthenticated, true);
  assert.equal(b.tokenFormat, 'jwt');
  assert.equal(b.id, jwt.id);
  assert.equal(b.subject, standIn.machine('gateway').id);
  // As @clerk/backend's M2MToken.fromJwtPayload: every claim but iss, sub, exp, nbf, iat and jti (aud and scopes stay).
  const scopes = standIn.machine('gateway').scopes;
  assert.deepEqual(b.claims, { job: 'report', aud: scopes, scopes: scopes.join(' ') });
  assert.ok(b.scopes.includes(standIn.machine('billing').id));

  await m2m.revokeToken({ m2mTokenId: opaque.id });
  const cached = await verifyRequest(bearer(opaque.token), options);
  assert.equal(cached.isAuthenticated, true, 'within the TTL the cached result stands (documented)');
  await sleep(5);
  const after = await verifyRequest(bearer(opaque.token), receiver({ cacheTtlMs: 1 }));
  await expectRejected(after, 'token-invalid', 401);
});

test('a repeated valid token costs one verify call per TTL', async () => {
  const { token } = await caller().createToken();
  await takeRequests(standIn);
  for (let i = 0; i < 200; i++) assert.equal((await verifyRequest(bearer(token), receiver())).isAuthenticated, true);
  assert.equal((await takeRequests(standIn)).length, 1);
  clearVerificationCache();
  const short = receiver({ cacheTtlMs: 100 });
  await verifyRequest(bearer(token), short);
  await sleep(150);
  await verifyRequest(bearer(token), short);
  assert.equal((await takeRequests(standIn)).length, 2, 'after cacheTtlMs the token is verified again');
});

test('1,000 requests with the same bad token cost one call per negative TTL, each guard by its own TTL', async () => {
  await takeRequests(standIn);
  const bad = 'mt_' + 'x'.repeat(40);
  for (let i = 0; i < 1000; i++) {
    const auth = await verifyRequest(bearer(bad), receiver());
    assert.equal(auth.reason, 'token-invalid');
  }
  assert.equal((await takeRequests(standIn)).length, 1, 'the default 5 s: one call');

  // negativeCacheTtlMs: 0 caches no rejection — not even one another guard cached: each request asks Clerk.
  for (let i = 0; i < 10; i++) assert.equal((await verifyRequest(bearer(bad), receiver({ negativeCacheTtlMs: 0 }))).reason, 'token-invalid');
  assert.equal((await takeRequests(standIn)).length, 10);

  // A reader's own TTL decides (time is an input, not a race): a verdict reached now serves a 60 s reader, and
  // no longer serves a 1 ms reader once 5 ms have passed.
  clearVerificationCache();
  for (let i = 0; i < 10; i++) await verifyRequest(bearer(bad), receiver({ negativeCacheTtlMs: 60_000 }));
  assert.equal((await takeRequests(standIn)).length, 1);
  await sleep(5);
  assert.equal((await verifyRequest(bearer(bad), receiver({ negativeCacheTtlMs: 1 }))).reason, 'token-invalid');
  assert.equal((await takeRequests(standIn)).length, 1, 'the 1 ms reader asked Clerk once');
});

test('JWTs: one JWKS fetch, then no calls to Clerk; with jwtKey no calls at all', async () => {
  const m2m = caller();
  const tokens = await Promise.all([1, 2, 3].map((n) => m2m.createToken({ tokenFormat: 'jwt', claims: { n } })));
  await takeRequests(standIn);
  for (const { token } of tokens) assert.equal((await verifyRequest(bearer(token), receiver())).isAuthenticated, true);
  const calls = await takeRequests(standIn);
  assert.deepEqual(calls.map((r) => `${r.method} ${r.path} ${r.key}`), ['GET /jwks secret']);

  clearVerificationCache();
  const pemOnly = { jwtKey: standIn.jwtPublicKeyPem, machineId: standIn.machine('billing').id };
  for (const { token } of tokens) assert.equal((await verifyRequest(bearer(token), pemOnly)).isAuthenticated, true);
  assert.equal((await takeRequests(standIn)).length, 0);
  await expectRejected(await verifyRequest(bearer('mt_abc'), pemOnly), 'token-type-mismatch', 401);
});

test('every rejection: status, reason and WWW-Authenticate', async () => {
  const m2m = caller();
  const { token, id } = await m2m.createToken();
  const jwt = (await m2m.createToken({ tokenFormat: 'jwt' })).token;
  const [h, p] = jwt.split('.');
  const sessionPayload = Buffer.from(JSON.stringify({ sub: 'user_2abc', exp: 9999999999 })).toString('base64url');
  const badSig = `${h}.${p}.${Buffer.from('forged').toString('base64url')}`;

  const missing = await expectRejected(await verifyRequest(request(undefined), receiver()), 'token-missing', 401);
  assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="clerk-m2m"');
  await expectRejected(await verifyRequest(request(`Basic ${btoa('a:b')}`), receiver()), 'token-missing', 401);
  const cases = [
    [bearer('mt_abc mt_def'), 'token-malformed'],
    [request(`Bearer ${token}, Bearer ${token}`), 'token-malformed'],
    [bearer('mt_bad!chars'), 'token-malformed'],
    [request(`Bearer ${'a'.repeat(9000)}`), 'token-malformed'],
    [bearer('ak_live_abcdef'), 'token-type-mismatch'],
    [bearer('oat_abcdef'), 'token-type-mismatch'],
    [bearer(`${h}.${sessionPayload}.c2ln`), 'token-type-mismatch'],
    [bearer('mt_' + 'f'.repeat(40)), 'token-invalid'],
    [bearer(badSig), 'token-invalid'],
  ];
  for (const [req, reason] of cases) {
    const res = await expectRejected(await verifyRequest(req, receiver()), reason, 401);
    assert.match(res.headers.get('www-authenticate'), /^Bearer realm="clerk-m2m", error="invalid_token", error_description="[^"]+"$/);
  }

  const outsider = await expectRejected(await verifyRequest(bearer(token), receiver({ machineId: standIn.machine('outsider').id,
    machineSecretKey: undefined })), 'machine-not-in-scope', 403);
  assert.match(outsider.headers.get('www-authenticate'), /error="insufficient_scope"/);
  await expectRejected(await verifyRequest(bearer(jwt), receiver({ machineId: standIn.machine('outsider').id })), 'machine-not-in-scope', 403);

  // The service's own key refused: a 500 its operator sees, never a 401 that would make callers drop their tokens.
  const keyRefused = await expectRejected(await verifyRequest(bearer(token), receiver({ machineSecretKey: 'ak_wrong_key_000' })), 'secret-key-invalid', 500);
  assert.equal(keyRefused.headers.get('www-authenticate'), null);

  const down = await expectRejected(await verifyRequest(bearer(token), receiver({ apiUrl: 'http://127.0.0.1:9', maxRetries: 0 })),
    'upstream-unavailable', 503);
  assert.equal(down.headers.get('retry-after'), '5');
  assert.equal(down.headers.get('www-authenticate'), null);

  await standIn.configure({ verifyDeadTokens: '200' });
  try {
    await m2m.revokeToken({ m2mTokenId: id });
    await expectRejected(await verifyRequest(bearer(token), receiver()), 'token-revoked', 401);
    const expiring = await m2m.createToken({ secondsUntilExpiration: 60 });
    await standIn.configure({ clockOffsetMs: 120_000 });
    await expectRejected(await verifyRequest(bearer(expiring.token), receiver()), 'token-expired', 401);
  } finally {
    await standIn.configure({ verifyDeadTokens: '404', clockOffsetMs: 0 });
  }
  const shortJwt = (await m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 1 })).token;
  await sleep(1100);
  await expectRejected(await verifyRequest(bearer(shortJwt), receiver({ clockSkewMs: 0 })), 'token-expired', 401);
});

test('Clerk down or failing: 503, never 200, and nothing is cached', async () => {
  const { token } = await caller().createToken();
  for (const fault of [{ status: 500 }, { status: 503 }, { reset: true }, { malformed: true }, { hang: true }]) {
    clearVerificationCache();
    await standIn.fault({ path: '/m2m_tokens/verify', times: 3, ...fault });
    const auth = await verifyRequest(bearer(token), receiver({ timeoutMs: 150, maxRetries: 0 }));
    assert.equal(auth.reason, 'upstream-unavailable', JSON.stringify(fault));
    assert.equal(auth.status, 503);
    await standIn.clearFaults();
    assert.equal((await verifyRequest(bearer(token), receiver())).isAuthenticated, true, 'the failure was not cached');
  }
  // A 429 with Retry-After pauses this isolate's calls with that key: the reports machine's, used nowhere else here.
  await standIn.fault({ path: '/m2m_tokens/verify', status: 429, headers: { 'retry-after': '30' } });
  clearVerificationCache();
  const limited = await verifyRequest(bearer(token), receiver({ machineSecretKey: standIn.machine('reports').secretKey }));
  assert.equal(limited.toResponse().headers.get('retry-after'), '30');
});

test('misconfiguration throws; nothing a caller sends does', async () => {
  const noKey = await rejection(verifyRequest(bearer('mt_abc'), { apiUrl: standIn.url }));
  assert.ok(noKey instanceof ClerkM2MError);
  assert.equal(noKey.code, 'missing_key');
  for (const [options, field] of [[{ jwtKey: 'not a key' }, 'jwtKey'], [{ secretKey: 'sk_x', machineId: 'mch_x' }, 'machineId'],
    [{ secretKey: 'sk_x', cacheTtlMs: -1 }, 'cacheTtlMs'], [{ secretKey: 'sk_x', cache: 'no' }, 'cache'],
    [{ secretKey: 'sk_x', cacheStore: {} }, 'cacheStore'], [{ secretKey: 'sk_x', clockSkewMs: NaN }, 'clockSkewMs'],
    [{ secretKey: 'sk_x', get cacheStore() { throw new Error('no'); } }, 'cacheStore']]) {
    const err = await rejection(verifyRequest(bearer('mt_abc'), options));
    assert.equal(err.code, 'invalid_argument', field);
    assert.equal(err.field, field);
  }
  assert.equal((await rejection(verifyRequest('not a request', receiver()))).field, 'request');
  const hostile = ['', ' ', 'Bearer', 'Bearer ' + 'x'.repeat(1 << 20), 'Bearer \u00e9', 'Bearer a.b.c', 'Bearer ....',
    'Bearer eyJ.eyJ.eyJ', 'Bearer mt_', 'bearer MT_ABC', 'Negotiate abc', 'Bearer null', 'Bearer undefined'];
  await takeRequests(standIn);
  for (const header of hostile) {
    const auth = await verifyRequest(request(header), receiver());
    assert.equal(auth.isAuthenticated, false, header.slice(0, 40));
  }
  assert.equal((await takeRequests(standIn)).length, 0, 'hostile headers never reach Clerk');
});

test('cacheStore shares results across isolates and never stores the token', async () => {
  const { token } = await caller().createToken();
  const store = new Map();
  const puts = [];
  const cacheStore = {
    async get(key) { return store.get(key) ?? null; },
    async put(key, value, opts) { puts.push(opts); store.set(key, value); },
  };
  await takeRequests(standIn);
  assert.equal((await verifyRequest(bearer(token), receiver({ cacheStore }))).isAuthenticated, true);
  clearVerificationCache(); // another isolate: empty memory, same store
  assert.equal((await verifyRequest(bearer(token), receiver({ cacheStore }))).isAuthenticated, true);
  assert.equal((await takeRequests(standIn)).length, 1);
  assert.equal(puts[0].expirationTtl, 60);
  for (const [key, value] of store) {
    assert.match(key, /^clerk-m2m-edge:v2:[0-9a-f]{64}$/);
    assert.ok(!value.includes(token));
  }
  const broken = { get() { throw new Error('kv down'); }, put() { return Promise.reject(new Error('kv down')); } };
  clearVerificationCache();
  assert.equal((await verifyRequest(bearer(token), receiver({ cacheStore: broken }))).isAuthenticated, true, 'a failing store is a miss');
});

test('cache: false asks Clerk every time; the in-isolate cache stays bounded', async () => {
  const { token } = await caller().createToken();
  await takeRequests(standIn);
  for (let i = 0; i < 5; i++) await verifyRequest(bearer(token), receiver({ cache: false }));
  assert.equal((await takeRequests(standIn)).length, 5);
  assert.equal(verificationCacheStats().entries, 0);
  assert.equal(verificationCacheStats().capacity, 10_000);
});

test('m2m.verifyRequest shares the client configuration; m2m.verify checks JWTs locally', async () => {
  const m2m = caller();
  const { token } = await m2m.createToken();
  const jwt = await m2m.createToken({ tokenFormat: 'jwt' });
  const billing = new ClerkM2M({ machineSecretKey: standIn.machine('billing').secretKey, secretKey: standIn.secretKey, apiUrl: standIn.url, machineId: standIn.machine('billing').id });
  assert.equal((await billing.verifyRequest(bearer(token))).isAuthenticated, true);
  assert.equal((await billing.verifyRequest(bearer(jwt.token), { machineId: standIn.machine('billing').id })).tokenFormat, 'jwt');
  assert.equal((await billing.verifyRequest(bearer(token), { machineSecretKey: 'ak_wrong_key_1' })).reason, 'secret-key-invalid');

  await takeRequests(standIn);
  const verified = await billing.verify({ token: jwt.token });
  assert.equal(verified.id, jwt.id);
  assert.equal(verified.subject, standIn.machine('gateway').id);
  assert.equal(verified.revoked, false);
  const calls = await takeRequests(standIn);
  assert.ok(calls.every((r) => r.path === '/jwks'), 'a JWT is verified locally, at most a JWKS fetch');
  const pem = new ClerkM2M({ jwtKey: standIn.jwtPublicKeyPem });
  assert.equal((await pem.verify({ token: jwt.token })).id, jwt.id);
  await standIn.configure({ clockOffsetMs: -120_000 }); // minted two minutes ago, for one minute
  const old = await m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 60 });
  await standIn.configure({ clockOffsetMs: 0 });
  await takeRequests(standIn);
  const expired = await rejection(pem.verify({ token: old.token }));
  assert.equal(expired.code, 'token_invalid');
  assert.equal(expired.reason, 'token-expired');
  assert.equal((await takeRequests(standIn)).length, 0);
});

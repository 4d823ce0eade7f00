// Every error class and code a caller can meet, and that none of them carries a key or a token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pkg, useStandIn, takeRequests, rejection } from './helpers.mjs';

const { ClerkM2M, ClerkM2MError, ClerkAPIResponseError } = pkg;
const standIn = useStandIn();

/** Asserts that no string a caller could print or log contains one of the secrets. */
function assertNoSecrets(err, secrets) {
  const surfaces = [err.message, String(err), err.stack ?? '', JSON.stringify(err), JSON.stringify(Object.entries(err)),
    JSON.stringify(err.errors ?? [])];
  for (const secret of secrets) {
    for (const text of surfaces) assert.ok(!text.includes(secret), `secret leaked into: ${text}`);
  }
}

test('an HTTP error from Clerk is a ClerkAPIResponseError with status, errors, trace id and code', async () => {
  const m2m = new ClerkM2M({ machineSecretKey: 'ak_not_a_real_key_123', apiUrl: standIn.url });
  const err = await rejection(m2m.list({ subject: standIn.machine('gateway').id }));
  assert.ok(err instanceof Error);
  assert.ok(err instanceof ClerkAPIResponseError);
  assert.equal(err.name, 'ClerkAPIResponseError');
  assert.equal(err.status, 401);
  assert.equal(err.code, 'authentication_invalid');
  assert.equal(err.errors[0].code, 'authentication_invalid');
  assert.equal(typeof err.errors[0].message, 'string');
  assert.equal(typeof err.errors[0].longMessage, 'string');
  assert.match(err.clerkTraceId, /^trace_/);
  assert.equal(err.retryAfter, undefined);
  assertNoSecrets(err, ['ak_not_a_real_key_123']);
});

test('create with a secret key is refused by Clerk (machine key required)', async () => {
  const m2m = new ClerkM2M({ secretKey: standIn.secretKey, apiUrl: standIn.url });
  const err = await rejection(m2m.createToken());
  assert.equal(err.status, 401);
  assert.equal(err.code, 'machine_secret_key_invalid');
});

test('trace id falls back to clerk-trace-id, then cf-ray; Retry-After is reported in seconds', async () => {
  const m2m = new ClerkM2M({ secretKey: standIn.secretKey, apiUrl: standIn.url, maxRetries: 0 });
  const subject = standIn.machine('gateway').id;
  await standIn.fault({ path: '/m2m_tokens', status: 502, body: '<html>bad gateway</html>', headers: { 'content-type': 'text/html', 'cf-ray': 'ray-abc' } });
  let err = await rejection(m2m.list({ subject }));
  assert.equal(err.status, 502);
  assert.equal(err.code, 'api_error');
  assert.deepEqual(err.errors, []);
  assert.equal(err.clerkTraceId, 'ray-abc');

  await standIn.fault({ path: '/m2m_tokens', status: 503, body: { errors: [] }, headers: { 'cf-ray': 'ray-x', 'clerk-trace-id': 'ct-1' } });
  err = await rejection(m2m.list({ subject }));
  assert.equal(err.clerkTraceId, 'ct-1');

  // A 429 with Retry-After pauses this isolate's calls with that key: the outsider machine's, used nowhere else.
  const limited = new ClerkM2M({ machineSecretKey: standIn.machine('outsider').secretKey, apiUrl: standIn.url });
  await standIn.fault({ path: '/m2m_tokens', status: 429, headers: { 'retry-after': '120' } });
  err = await rejection(limited.list({ subject }));
  assert.equal(err.status, 429);
  assert.equal(err.retryAfter, 120);
  assert.equal(err.code, 'injected_429');
});

test('no key at all is missing_key, and nothing is sent', async () => {
  await takeRequests(standIn);
  const m2m = new ClerkM2M({ apiUrl: standIn.url });
  for (const call of [() => m2m.createToken(), () => m2m.list({ subject: standIn.machine('gateway').id }),
    () => m2m.revokeToken({ m2mTokenId: 'mt_' + 'a'.repeat(32) }), () => m2m.verify({ token: 'mt_abc' })]) {
    const err = await rejection(call());
    assert.ok(err instanceof ClerkM2MError);
    assert.equal(err.name, 'ClerkM2MError');
    assert.equal(err.code, 'missing_key');
  }
  assert.equal((await takeRequests(standIn)).length, 0);
});

test('an unreachable Clerk is network_error; a silent one is timeout', async () => {
  const closed = new ClerkM2M({ secretKey: 'sk_test_x', apiUrl: 'http://127.0.0.1:9', maxRetries: 0 });
  const err = await rejection(closed.verify({ token: 'mt_abc' }));
  assert.equal(err.code, 'network_error');

  await standIn.fault({ path: '/m2m_tokens/verify', hang: true });
  const slow = new ClerkM2M({ secretKey: standIn.secretKey, apiUrl: standIn.url, timeoutMs: 100, maxRetries: 0 });
  const t0 = Date.now();
  const timeout = await rejection(slow.verify({ token: 'mt_abc' }));
  assert.equal(timeout.code, 'timeout');
  assert.ok(Date.now() - t0 < 2_000);
});

test('an answer that is not the documented JSON is invalid_response', async () => {
  const m2m = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url, maxRetries: 0 });
  await standIn.fault({ path: '/m2m_tokens', method: 'POST', malformed: true });
  assert.equal((await rejection(m2m.createToken())).code, 'invalid_response');
  await standIn.fault({ path: '/m2m_tokens', method: 'POST', contentType: 'text/html' });
  assert.equal((await rejection(m2m.createToken())).code, 'invalid_response');
  await standIn.fault({ path: '/m2m_tokens', method: 'POST', body: { hello: 'world' } });
  assert.equal((await rejection(m2m.createToken())).code, 'invalid_response');
  await standIn.fault({ path: '/m2m_tokens', method: 'POST', truncated: true });
  assert.equal((await rejection(m2m.createToken())).code, 'network_error');
});

test('error bodies that echo the key or the token are redacted', async () => {
  const key = standIn.machine('billing').secretKey;
  const token = 'mt_this_token_must_not_leak_0123456789';
  const m2m = new ClerkM2M({ machineSecretKey: key, apiUrl: standIn.url, maxRetries: 0 });
  await standIn.fault({ path: '/m2m_tokens/verify', status: 400, body: { errors: [{ code: 'bad', message: `bad token ${token}`,
    long_message: `key ${key} cannot verify ${token}`, meta: { token, key } }], clerk_trace_id: 't' } });
  const err = await rejection(m2m.verify({ token }));
  assert.equal(err.status, 400);
  assert.equal(err.errors[0].longMessage, 'key [redacted] cannot verify [redacted]');
  assert.deepEqual(err.errors[0].meta, { token: '[redacted]', key: '[redacted]' });
  assertNoSecrets(err, [key, token]);

  const notFound = await rejection(m2m.verify({ token }));
  assert.equal(notFound.code, 'token_invalid');
  assert.equal(notFound.reason, 'token-invalid');
  assertNoSecrets(notFound, [key, token]);
});

test('invalid configuration throws synchronously without echoing keys', () => {
  assert.throws(() => new ClerkM2M({ secretKey: 'sk_live_abc def' }), (err) => {
    assert.ok(err instanceof ClerkM2MError);
    assert.equal(err.code, 'invalid_argument');
    assert.equal(err.field, 'secretKey');
    assertNoSecrets(err, ['sk_live_abc']);
    return true;
  });
});

test('the public classes keep their names (logs and stack traces name them)', () => {
  assert.equal(ClerkM2M.name, 'ClerkM2M');
  assert.equal(ClerkM2MError.name, 'ClerkM2MError');
  assert.equal(ClerkAPIResponseError.name, 'ClerkAPIResponseError');
  const err = (() => {
    try {
      new ClerkM2M({ secretKey: 42 });
    } catch (e) {
      return e;
    }
  })();
  assert.equal(err.constructor.name, 'ClerkM2MError');
  assert.match(err.stack, /^ClerkM2MError: /);
});

// What goes over the wire: keys, headers, paths, and only the fields the caller set (nulls as null).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pkg, useStandIn, takeRequests } from './helpers.mjs';

const { ClerkM2M } = pkg;
const standIn = useStandIn();
const version = JSON.parse(readFileSync(new URL('../../pkg/package.json', import.meta.url))).version;

test('key precedence: per-call machineSecretKey, then the client machine key, then the secret key', async () => {
  const gateway = standIn.machine('gateway');
  const billing = standIn.machine('billing');
  const both = new ClerkM2M({ machineSecretKey: gateway.secretKey, secretKey: standIn.secretKey, apiUrl: standIn.url });
  const secretOnly = new ClerkM2M({ secretKey: standIn.secretKey, apiUrl: standIn.url });
  await takeRequests(standIn);
  await both.list({ subject: gateway.id });
  await both.list({ subject: billing.id, machineSecretKey: billing.secretKey });
  await secretOnly.list({ subject: billing.id });
  const { token } = await both.createToken({ machineSecretKey: billing.secretKey });
  await secretOnly.verify({ token });
  const keys = (await takeRequests(standIn)).map((r) => r.key);
  assert.deepEqual(keys, ['gateway', 'billing', 'secret', 'billing', 'secret']);
});

test('every request carries the documented headers; bodies are JSON, GETs have none', async () => {
  const m2m = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url + '/' });
  await takeRequests(standIn);
  const { id } = await m2m.createToken();
  await m2m.list({ subject: standIn.machine('gateway').id });
  await m2m.revokeToken({ m2mTokenId: id });
  const log = await takeRequests(standIn);
  for (const r of log) {
    assert.equal(r.versioned, true, 'requests go to {apiUrl}/v1/…');
    assert.equal(r.headers.accept, 'application/json');
    assert.equal(r.headers['clerk-api-version'], '2026-05-12');
    assert.equal(r.headers['user-agent'], `clerk-m2m-edge/${version}`);
    if (r.method === 'POST') assert.equal(r.headers['content-type'], 'application/json');
    else assert.equal(r.headers['content-type'], undefined);
  }
  assert.deepEqual(log.map((r) => `${r.method} ${r.path}`), ['POST /m2m_tokens', 'GET /m2m_tokens', `POST /m2m_tokens/${id}/revoke`]);
});

test('only the fields the caller set are sent; null is sent as null', async () => {
  const m2m = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
  const subject = standIn.machine('gateway').id;
  await takeRequests(standIn);
  const { id } = await m2m.createToken({});
  await m2m.createToken({ secondsUntilExpiration: null, claims: null });
  await m2m.createToken({ secondsUntilExpiration: 120, claims: { team: 'a', n: [1, 2] }, tokenFormat: 'opaque', minRemainingTtlSeconds: 30 });
  await m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 30.5, machineSecretKey: undefined });
  await m2m.list({ subject });
  await m2m.list({ subject, revoked: false, expired: true, limit: 5, offset: 0 });
  await m2m.list({ subject, revoked: null, offset: null });
  await m2m.revokeToken({ m2mTokenId: id });
  await m2m.revokeToken({ m2mTokenId: id, revocationReason: null });
  await m2m.revokeToken({ m2mTokenId: id, revocationReason: 'rotated' });
  const log = await takeRequests(standIn);
  assert.deepEqual(log.map((r) => (r.method === 'GET' ? r.query : JSON.parse(r.body))), [
    {},
    { seconds_until_expiration: null, claims: null },
    { token_format: 'opaque', seconds_until_expiration: 120, claims: { team: 'a', n: [1, 2] }, min_remaining_ttl_seconds: 30 },
    { token_format: 'jwt', seconds_until_expiration: 30.5 },
    { subject },
    { subject, revoked: 'false', expired: 'true', limit: '5', offset: '0' },
    { subject },
    {},
    { revocation_reason: null },
    { revocation_reason: 'rotated' },
  ]);
});

test('minRemainingTtlSeconds and paging are sent exactly as given; the answer is passed through', async () => {
  const m2m = new ClerkM2M({ machineSecretKey: standIn.machine('reports').secretKey, apiUrl: standIn.url });
  await takeRequests(standIn);
  const a = await m2m.createToken({ secondsUntilExpiration: 600, minRemainingTtlSeconds: 60, claims: { k: 1 } });
  const [create] = await takeRequests(standIn);
  assert.deepEqual(JSON.parse(create.body), { seconds_until_expiration: 600, min_remaining_ttl_seconds: 60, claims: { k: 1 } });
  assert.match(a.token, /^mt_/, "the stand-in's answer (pooled or not: its own rule, tests/js/standin.test.mjs) comes back");
  await m2m.list({ subject: standIn.machine('reports').id, limit: 2, offset: 4 });
  const [list] = await takeRequests(standIn);
  assert.deepEqual({ limit: list.query.limit, offset: list.query.offset }, { limit: '2', offset: '4' });
});

test('with-http-info variants return data, status and lower-case headers', async () => {
  const gateway = standIn.machine('gateway');
  const m2m = new ClerkM2M({ machineSecretKey: gateway.secretKey, apiUrl: standIn.url });
  const created = await m2m.createTokenWithHttpInfo({ secondsUntilExpiration: 60 });
  assert.equal(created.status, 201);
  assert.match(created.data.token, /^mt_/);
  assert.equal(created.headers['content-type'], 'application/json');
  for (const name of Object.keys(created.headers)) assert.equal(name, name.toLowerCase());

  const listed = await m2m.listWithHttpInfo({ subject: gateway.id });
  assert.equal(listed.status, 200);
  assert.ok(Array.isArray(listed.data.data));
  assert.equal(typeof listed.data.totalCount, 'number');

  const receiver = new ClerkM2M({ machineSecretKey: standIn.machine('billing').secretKey, apiUrl: standIn.url });
  const verified = await receiver.verifyWithHttpInfo({ token: created.data.token });
  assert.equal(verified.status, 200);
  assert.equal(verified.data.id, created.data.id);

  const revoked = await m2m.revokeTokenWithHttpInfo({ m2mTokenId: created.data.id });
  assert.equal(revoked.status, 200);
  assert.equal(revoked.data.revoked, true);
  assert.equal(typeof revoked.headers.date, 'string');
});

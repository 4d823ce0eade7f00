// Timeouts and retries with injected faults: what is retried, how often, and what never is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pkg, useStandIn, takeRequests, rejection } from './helpers.mjs';

const { ClerkM2M } = pkg;
const standIn = useStandIn();
const ID = 'mt_' + 'cd'.repeat(16);

function client(options = {}) {
  return new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url, ...options });
}

test('list, verify and revoke retry 5xx, 429, resets and timeouts, then succeed', async () => {
  const m2m = client({ timeoutMs: 200 });
  const { token, id } = await m2m.createToken();
  await takeRequests(standIn);

  await standIn.fault({ path: '/m2m_tokens', method: 'GET', status: 503, times: 2 });
  assert.equal((await m2m.list({ subject: standIn.machine('gateway').id })).totalCount, 1);
  assert.equal((await takeRequests(standIn)).length, 3);

  await standIn.fault({ path: '/m2m_tokens/verify', status: 502 });
  await standIn.fault({ path: '/m2m_tokens/verify', hang: true });
  const rec = new ClerkM2M({ machineSecretKey: standIn.machine('billing').secretKey, apiUrl: standIn.url, timeoutMs: 200 });
  assert.equal((await rec.verify({ token })).id, id);
  assert.equal((await takeRequests(standIn)).length, 3);

  await standIn.fault({ path: '/revoke', reset: true });
  await standIn.fault({ path: '/revoke', status: 429, headers: { 'retry-after': '0' } });
  assert.equal((await m2m.revokeToken({ m2mTokenId: id })).revoked, true);
  assert.equal((await takeRequests(standIn)).length, 3);
});

test('retries stop at maxRetries', async () => {
  for (const maxRetries of [0, 1, 3]) {
    await standIn.fault({ path: '/m2m_tokens/verify', status: 500, times: 10 });
    const err = await rejection(client({ maxRetries }).verify({ token: 'mt_abc' }));
    assert.equal(err.status, 500);
    assert.equal((await takeRequests(standIn)).length, maxRetries + 1, `maxRetries ${maxRetries}`);
    await standIn.clearFaults();
  }
});

test('create is retried only on 429', async () => {
  const m2m = client();
  await takeRequests(standIn);
  for (const fault of [{ status: 500 }, { status: 503 }, { reset: true }, { hang: true }]) {
    await standIn.fault({ path: '/m2m_tokens', method: 'POST', ...fault });
    const err = await rejection(client({ timeoutMs: 150 }).createToken());
    assert.ok(['network_error', 'timeout', 'injected_500', 'injected_503'].includes(err.code), err.code);
    assert.equal((await takeRequests(standIn)).length, 1, JSON.stringify(fault));
  }
  await standIn.fault({ path: '/m2m_tokens', method: 'POST', status: 429, headers: { 'retry-after': '0' } });
  assert.match((await m2m.createToken()).token, /^mt_/);
  assert.equal((await takeRequests(standIn)).length, 2);
});

test('Retry-After is honoured', async () => {
  await takeRequests(standIn);
  await standIn.fault({ path: '/m2m_tokens', method: 'GET', status: 429, headers: { 'retry-after': '1' } });
  await client().list({ subject: standIn.machine('gateway').id });
  const [first, second] = await takeRequests(standIn);
  assert.ok(second.at - first.at >= 950, `waited ${second.at - first.at} ms`);
});

test('other 4xx are never retried', async () => {
  await takeRequests(standIn);
  for (const status of [400, 401, 403, 404, 409, 422]) {
    await standIn.fault({ path: '/m2m_tokens', method: 'GET', status });
    const err = await rejection(client().list({ subject: standIn.machine('gateway').id }));
    assert.equal(err.status, status);
    assert.equal((await takeRequests(standIn)).length, 1, `status ${status}`);
  }
});

test('each attempt has its own timeout, and the whole call stays within its budget', async () => {
  await standIn.fault({ path: '/m2m_tokens/verify', hang: true, times: 3 });
  await takeRequests(standIn);
  const t0 = Date.now();
  const err = await rejection(client({ timeoutMs: 150, maxRetries: 2 }).verify({ token: 'mt_abc' }));
  const elapsed = Date.now() - t0;
  assert.equal(err.code, 'timeout');
  assert.equal((await takeRequests(standIn)).length, 3);
  // 3 × 150 ms attempts + backoffs of at most 200 + 400 ms.
  assert.ok(elapsed >= 450 && elapsed < 2_000, `took ${elapsed} ms`);
});

test('a slow answer inside the timeout is fine', async () => {
  await standIn.fault({ path: '/m2m_tokens', method: 'GET', delayMs: 100 });
  const page = await client({ timeoutMs: 1_000 }).list({ subject: standIn.machine('gateway').id });
  assert.equal(typeof page.totalCount, 'number');
});

test('revoke of an id Clerk does not know is a 404 error, not retried', async () => {
  await takeRequests(standIn);
  const err = await rejection(client().revokeToken({ m2mTokenId: ID }));
  assert.equal(err.status, 404);
  assert.equal(err.code, 'resource_not_found');
  assert.equal((await takeRequests(standIn)).length, 1);
});

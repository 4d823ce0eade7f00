// The Clerk stand-in's own rules, checked with plain `fetch` (no package involved): the package's tests rely on
// them, so they are tested here, apart from what the package does. Pooling (`min_remaining_ttl_seconds`),
// paging, scopes, and every route with and without `/v1`, as Clerk serves them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useStandIn } from './helpers.mjs';

const standIn = useStandIn();

/** One call to the stand-in with a key: `{ status, body }`. */
async function call(method, path, key, body) {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const res = await fetch(`${standIn.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

test('pooling: min_remaining_ttl_seconds returns a live token with identical claims instead of minting', async () => {
  const key = standIn.machine('reports').secretKey;
  const ask = (body) => call('POST', '/m2m_tokens', key, { seconds_until_expiration: 600, ...body });
  const a = await ask({ min_remaining_ttl_seconds: 60, claims: { k: 1 } });
  const b = await ask({ min_remaining_ttl_seconds: 60, claims: { k: 1 } });
  assert.equal(a.status, 201);
  assert.equal(b.body.id, a.body.id, 'reused');
  assert.equal(b.body.token, a.body.token);
  assert.notEqual((await ask({ min_remaining_ttl_seconds: 60, claims: { k: 2 } })).body.id, a.body.id, 'other claims: a new token');
  assert.notEqual((await ask({ claims: { k: 1 } })).body.id, a.body.id, 'without min_remaining_ttl_seconds: a new token');
  const longer = await ask({ seconds_until_expiration: 3600, min_remaining_ttl_seconds: 3599, claims: { k: 1 } });
  assert.equal(longer.status, 201);
  assert.notEqual(longer.body.id, a.body.id, 'the live one has too little left (about 600 s): a new token');
});

test('paging: limit and offset over the machine’s tokens', async () => {
  await standIn.reset();
  const billing = standIn.machine('billing');
  for (let i = 0; i < 5; i++) await call('POST', '/m2m_tokens', billing.secretKey, {});
  const first = await call('GET', `/m2m_tokens?subject=${billing.id}&limit=2`, billing.secretKey);
  const third = await call('GET', `/m2m_tokens?subject=${billing.id}&limit=2&offset=4`, billing.secretKey);
  assert.equal(first.body.total_count, 5);
  assert.equal(first.body.m2m_tokens.length, 2);
  assert.equal(third.body.m2m_tokens.length, 1);
});

test('scopes: a machine outside a token’s scopes cannot verify it (404), one inside can', async () => {
  const gateway = standIn.machine('gateway');
  const { body: created } = await call('POST', '/m2m_tokens', gateway.secretKey, {});
  assert.equal((await call('POST', '/m2m_tokens/verify', standIn.machine('outsider').secretKey, { token: created.token })).status, 404);
  assert.equal((await call('POST', '/m2m_tokens/verify', standIn.machine('billing').secretKey, { token: created.token })).status, 200);
});

test('every route with and without /v1, as Clerk does', async () => {
  const gateway = standIn.machine('gateway');
  for (const prefix of ['', '/v1']) {
    const created = await call('POST', `${prefix}/m2m_tokens`, gateway.secretKey, {});
    assert.equal(created.status, 201);
    const { token, id } = created.body;
    assert.equal((await call('GET', `${prefix}/m2m_tokens?subject=${gateway.id}`, gateway.secretKey)).status, 200);
    assert.equal((await call('POST', `${prefix}/m2m_tokens/verify`, standIn.machine('billing').secretKey, { token })).status, 200);
    assert.equal((await call('POST', `${prefix}/m2m_tokens/${id}/revoke`, gateway.secretKey, {})).body.revoked, true);
    assert.equal((await call('GET', `${prefix}/jwks`, standIn.secretKey)).body.keys[0].kty, 'RSA');
  }
});

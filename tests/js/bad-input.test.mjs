// Every bad input is refused before any request is sent, with invalid_argument naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pkg, useStandIn, takeRequests, rejection } from './helpers.mjs';

const { ClerkM2M, ClerkM2MError } = pkg;
const standIn = useStandIn();

const SUBJECT = 'mch_gateway00000000000000000000';
const ID = 'mt_' + 'ab'.repeat(16);
const cyclic = {};
cyclic.self = cyclic;

// [operation, options, field]
const cases = [
  ['createToken', 'options', 'options'],
  ['createToken', 42, 'options'],
  ['createToken', [], 'options'],
  ['createToken', () => {}, 'options'],
  ['createToken', { secondsUntilExpiration: 0 }, 'secondsUntilExpiration'],
  ['createToken', { secondsUntilExpiration: -5 }, 'secondsUntilExpiration'],
  ['createToken', { secondsUntilExpiration: NaN }, 'secondsUntilExpiration'],
  ['createToken', { secondsUntilExpiration: Infinity }, 'secondsUntilExpiration'],
  ['createToken', { secondsUntilExpiration: '60' }, 'secondsUntilExpiration'],
  ['createToken', { secondsUntilExpiration: true }, 'secondsUntilExpiration'],
  ['createToken', { minRemainingTtlSeconds: -1 }, 'minRemainingTtlSeconds'],
  ['createToken', { minRemainingTtlSeconds: 1.5 }, 'minRemainingTtlSeconds'],
  ['createToken', { minRemainingTtlSeconds: NaN }, 'minRemainingTtlSeconds'],
  ['createToken', { minRemainingTtlSeconds: '5' }, 'minRemainingTtlSeconds'],
  ['createToken', { minRemainingTtlSeconds: 60, secondsUntilExpiration: 60 }, 'minRemainingTtlSeconds'],
  ['createToken', { tokenFormat: 'JWT' }, 'tokenFormat'],
  ['createToken', { tokenFormat: 'pem' }, 'tokenFormat'],
  ['createToken', { tokenFormat: 1 }, 'tokenFormat'],
  ['createToken', { claims: 1n }, 'claims'],
  ['createToken', { claims: { n: 1n } }, 'claims'],
  ['createToken', { claims: cyclic }, 'claims'],
  ['createToken', { claims: () => 1 }, 'claims'],
  ['createToken', { claims: Symbol('x') }, 'claims'],
  ['createToken', { claims: { toJSON() { throw new Error('no'); } } }, 'claims'],
  ['createToken', { machineSecretKey: 5 }, 'machineSecretKey'],
  ['createToken', { machineSecretKey: 'ak_with space' }, 'machineSecretKey'],
  ['createToken', { machineSecretKey: 'ak_x\r\nx-evil: 1' }, 'machineSecretKey'],
  ['list', undefined, 'subject'],
  ['list', {}, 'subject'],
  ['list', 'mch_x', 'options'],
  ['list', { subject: null }, 'subject'],
  ['list', { subject: 5 }, 'subject'],
  ['list', { subject: 'mch_short' }, 'subject'],
  ['list', { subject: 'mch_gateway0000000000000000000-' }, 'subject'],
  ['list', { subject: `${SUBJECT}&revoked=true` }, 'subject'],
  ['list', { subject: SUBJECT, limit: 0 }, 'limit'],
  ['list', { subject: SUBJECT, limit: 101 }, 'limit'],
  ['list', { subject: SUBJECT, limit: 1.5 }, 'limit'],
  ['list', { subject: SUBJECT, limit: NaN }, 'limit'],
  ['list', { subject: SUBJECT, limit: '10' }, 'limit'],
  ['list', { subject: SUBJECT, offset: -1 }, 'offset'],
  ['list', { subject: SUBJECT, offset: 2.5 }, 'offset'],
  ['list', { subject: SUBJECT, offset: NaN }, 'offset'],
  ['list', { subject: SUBJECT, offset: '0' }, 'offset'],
  ['list', { subject: SUBJECT, revoked: 'true' }, 'revoked'],
  ['list', { subject: SUBJECT, expired: 1 }, 'expired'],
  ['revokeToken', {}, 'm2mTokenId'],
  ['revokeToken', { m2mTokenId: 'mt_123' }, 'm2mTokenId'],
  ['revokeToken', { m2mTokenId: '../../m2m_tokens/verify' }, 'm2mTokenId'],
  ['revokeToken', { m2mTokenId: `${ID}/../../jwks` }, 'm2mTokenId'],
  ['revokeToken', { m2mTokenId: 'mt_' + 'g'.repeat(32) }, 'm2mTokenId'],
  ['revokeToken', { m2mTokenId: 7 }, 'm2mTokenId'],
  ['revokeToken', { m2mTokenId: ID, revocationReason: 5 }, 'revocationReason'],
  ['revokeToken', { m2mTokenId: ID, revocationReason: {} }, 'revocationReason'],
  ['verify', {}, 'token'],
  ['verify', { token: '' }, 'token'],
  ['verify', { token: 5 }, 'token'],
  ['verify', { token: null }, 'token'],
  ['verify', { token: {} }, 'token'],
  ['verify', { token: 'x'.repeat(9000) }, 'token'],
  ['verify', 'mt_abc', 'options'],
];

test('bad options are refused with invalid_argument naming the field, and nothing reaches Clerk', async () => {
  const m2m = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
  await takeRequests(standIn);
  for (const [op, options, field] of cases) {
    const err = await rejection(m2m[op](options));
    assert.ok(err instanceof ClerkM2MError, `${op}: ${String(err)}`);
    assert.equal(err.code, 'invalid_argument', `${op} ${String(options)}`);
    assert.equal(err.field, field, `${op}: ${err.message}`);
    assert.ok(err.message.includes(field));
  }
  assert.deepEqual(await takeRequests(standIn), [], 'no bad input may cause a request');
});

test('bad client options throw at construction', () => {
  const bad = [
    ['string', 'options'], [[], 'options'], [{ apiUrl: 'ftp://x' }, 'apiUrl'], [{ apiUrl: 5 }, 'apiUrl'],
    [{ apiUrl: 'clerk.com' }, 'apiUrl'], [{ apiVersion: 'v1/../x' }, 'apiVersion'], [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ timeoutMs: -1 }, 'timeoutMs'], [{ timeoutMs: NaN }, 'timeoutMs'], [{ timeoutMs: '100' }, 'timeoutMs'],
    [{ timeoutMs: 2 ** 31 }, 'timeoutMs'], [{ maxRetries: -1 }, 'maxRetries'], [{ maxRetries: 11 }, 'maxRetries'],
    [{ maxRetries: 1.5 }, 'maxRetries'], [{ secretKey: 5 }, 'secretKey'], [{ machineSecretKey: 'a\nb' }, 'machineSecretKey'],
  ];
  for (const [options, field] of bad) {
    assert.throws(() => new ClerkM2M(options), (err) => err instanceof ClerkM2MError && err.code === 'invalid_argument' && err.field === field,
      JSON.stringify(options));
  }
  assert.doesNotThrow(() => new ClerkM2M());
  assert.doesNotThrow(() => new ClerkM2M({ secretKey: '', machineSecretKey: undefined, apiUrl: 'https://api.clerk.com/' }));
});

test('an option whose getter throws: that exception propagates as is, nothing is sent, and the client stays usable', async () => {
  const m2m = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
  await takeRequests(standIn);
  const boom = new Error('getter failed');
  const hostile = { get subject() { throw boom; } };
  let caught;
  try {
    await m2m.list(hostile);
  } catch (err) {
    caught = err;
  }
  assert.equal(caught, boom, 'the caller’s own error, not a wrapped one');
  assert.throws(() => new ClerkM2M({ get apiUrl() { throw boom; } }), (err) => err === boom);
  const page = await m2m.list({ subject: 'mch_gateway00000000000000000000' });
  assert.ok(Array.isArray(page.data), 'the same instance still works');
  assert.deepEqual((await takeRequests(standIn)).map((r) => r.path), ['/m2m_tokens'], 'only the good call reached Clerk');
});

// The inputs of the outside review that found defects in the hand-written JSON, each through the packed package:
// numbers are read exactly or refused, numbers are sent exactly or refused, the signature is checked before any
// claim, a duplicate claim reads as JSON.parse reads it, nesting is bounded, and a verify answer is judged on what
// decides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createSign } from 'node:crypto';
import { pkg, useStandIn, takeRequests, rejection } from './helpers.mjs';

const { ClerkM2M, ClerkM2MError, verifyRequest, clearVerificationCache } = pkg;
const standIn = useStandIn();
const fixture = (name) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const PRIVATE = fixture('test-rsa-private-pkcs8.pem');
const PUBLIC = fixture('test-rsa-public.pem');
const MACHINE = 'mch_gateway00000000000000000000';
const b64url = (text) => Buffer.from(text).toString('base64url');

/** A JWT over the payload *text* as written (so numbers keep their exact spelling), signed with the test key. */
function jwt(payloadText, { forged = false } = {}) {
  const input = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'ins_test' }))}.${b64url(payloadText)}`;
  const signature = forged ? Buffer.alloc(256, 7) : createSign('RSA-SHA256').update(input).sign(PRIVATE);
  return `${input}.${signature.toString('base64url')}`;
}

const now = () => Math.floor(Date.now() / 1000);
const payload = (extra) => `{"sub":"${MACHINE}","jti":"mt_${'ab'.repeat(16)}","iat":${now() - 5},"exp":${now() + 600}${extra}}`;
const guard = async (token) => {
  clearVerificationCache();
  return verifyRequest({ headers: new Headers({ authorization: `Bearer ${token}` }) }, { jwtKey: PUBLIC, allowAnyMachine: true });
};

test('JWT numbers are read exactly: an overflowing nbf is refused, never read as 0 and accepted', async () => {
  // JSON.parse reads them as Infinity: not a finite numeric date, so the (genuinely signed) token is invalid.
  for (const nbf of ['123456789012345678901234e2147483647', '1e400', '-1e400']) {
    const auth = await guard(jwt(payload(`,"nbf":${nbf}`)));
    assert.equal(auth.isAuthenticated, false, nbf);
    assert.equal(auth.reason, 'token-invalid', nbf);
  }
  // A far-future nbf is a future nbf (not inf, not NaN).
  for (const nbf of ['1.7976931348623157e308', '123456789012345678901234e10']) {
    const auth = await guard(jwt(payload(`,"nbf":${nbf}`)));
    assert.equal(auth.reason, 'token-invalid', nbf);
  }
  // Underflows are 0 (in the past): valid, not NaN, and no panic on an exponent beyond i32.
  for (const nbf of ['0e500', '1.5e-2147483647']) {
    const auth = await guard(jwt(payload(`,"nbf":${nbf}`)));
    assert.equal(auth.isAuthenticated, true, nbf);
  }
  // Correct rounding: an exp written with a fraction is the same instant.
  const exact = await guard(jwt(`{"sub":"${MACHINE}","exp":${now() + 600}.0}`));
  assert.equal(exact.expiration, (now() + 600) * 1000);
});

test('the signature is checked before any claim: a forged token is token-invalid, however expired', async () => {
  const expired = `{"sub":"${MACHINE}","exp":${now() - 3600}}`;
  assert.equal((await guard(jwt(expired))).reason, 'token-expired', 'a genuine expired token is expired');
  assert.equal((await guard(jwt(expired, { forged: true }))).reason, 'token-invalid');
  assert.equal((await guard(jwt(payload(`,"nbf":${now() + 3600}`), { forged: true }))).reason, 'token-invalid');
});

test('a member given twice reads as its last occurrence, as JSON.parse (and @clerk/backend) reads it', async () => {
  // Only a token whose signature verifies is believed, and the signature covers these very bytes (SECURITY.md).
  const other = 'mch_other000000000000000000000';
  const subTwice = await guard(jwt(`{"sub":"${MACHINE}","sub":"${other}","exp":${now() + 600}}`));
  assert.equal(subTwice.isAuthenticated, true);
  assert.equal(subTwice.machineId, other);
  const customTwice = await guard(jwt(payload(',"role":"reader","role":"admin"')));
  assert.deepEqual(customTwice.claims, { role: 'admin' });
  const toUser = await guard(jwt(`{"sub":"${MACHINE}","sub":"user_1","exp":${now() + 600}}`));
  assert.equal(toUser.reason, 'token-type-mismatch');
});

test('documents nested deeper than 127 levels are refused before they are read; 127 are read', async () => {
  const nested = (n) => `${'['.repeat(n)}${']'.repeat(n)}`;
  assert.equal((await guard(jwt(payload(`,"x":${nested(126)}`)))).isAuthenticated, true);
  assert.equal((await guard(jwt(payload(`,"x":${nested(127)}`)))).reason, 'token-malformed');
  // Far deeper than any stack: refused, and the instance still answers.
  assert.equal((await guard(jwt(payload(`,"x":${nested(3000)}`)))).reason, 'token-malformed');
  assert.equal((await guard(jwt(payload('')))).isAuthenticated, true);
  const m2m = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
  const deep = JSON.parse(nested(500));
  const err = await rejection(m2m.createToken({ claims: { deep } }));
  assert.equal(err.code, 'invalid_argument');
  assert.equal(err.field, 'claims');
});

test('numbers are sent exactly or refused before any request', async () => {
  const m2m = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
  await takeRequests(standIn);
  for (const secondsUntilExpiration of [1e19, 2 ** 53, Number.MAX_VALUE]) {
    const err = await rejection(m2m.createToken({ secondsUntilExpiration }));
    assert.ok(err instanceof ClerkM2MError);
    assert.equal(err.code, 'invalid_argument');
    assert.equal(err.field, 'secondsUntilExpiration');
  }
  assert.deepEqual(await takeRequests(standIn), [], 'nothing was sent');
  await rejection(m2m.createToken({ secondsUntilExpiration: 2 ** 53 - 1 })); // the stand-in may refuse it; the wire matters
  await m2m.createToken({ secondsUntilExpiration: 3600, claims: { n: 1 }, minRemainingTtlSeconds: 60 });
  const bodies = (await takeRequests(standIn)).map((r) => r.body);
  assert.equal(bodies[0], '{"seconds_until_expiration":9007199254740991}');
  assert.equal(bodies[1], '{"seconds_until_expiration":3600,"claims":{"n":1},"min_remaining_ttl_seconds":60}');
});

test('a verify answer is judged on what decides: missing or malformed metadata is null, a bad deciding field is invalid_response', async () => {
  const gateway = standIn.machine('gateway');
  const m2m = new ClerkM2M({ machineSecretKey: gateway.secretKey, apiUrl: standIn.url, maxRetries: 0 });
  const deciding = { object: 'machine_to_machine_token', id: `mt_${'cd'.repeat(16)}`, subject: gateway.id, scopes: [gateway.id], revoked: false, expired: false, expiration: Date.now() + 60_000 };
  const answer = (body) => standIn.fault({ path: '/m2m_tokens/verify', status: 200, body });
  await answer({ ...deciding, created_at: 'yesterday', updated_at: 1.5, last_used_at: {}, claims: 5, revocation_reason: [] });
  const verified = await m2m.verify({ token: 'mt_metadata' });
  assert.deepEqual(
    [verified.createdAt, verified.updatedAt, verified.lastUsedAt, verified.revocationReason, verified.claims],
    [null, null, null, null, 5],
  );
  await answer(deciding);
  assert.equal((await m2m.verify({ token: 'mt_metadata' })).createdAt, null);
  for (const bad of [{ revoked: 'no' }, { expired: null }, { expiration: 'later' }, { scopes: 'mch_x' }, { id: 7 }, { expiration: 2 ** 53 }]) {
    await answer({ ...deciding, ...bad });
    const err = await rejection(m2m.verify({ token: 'mt_metadata' }));
    assert.equal(err.code, 'invalid_response', JSON.stringify(bad));
  }
});

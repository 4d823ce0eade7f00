// The user's story, through the packed package: create opaque and JWT tokens → list → verify → revoke →
// verify fails → list shows the token revoked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pkg, useStandIn, takeRequests, rejection } from './helpers.mjs';

const { ClerkM2M, ClerkM2MError } = pkg;
const standIn = useStandIn();

test('create → list → verify → revoke → verify rejected → list shows it revoked', async () => {
  const gateway = standIn.machine('gateway');
  const billing = standIn.machine('billing');
  // The calling machine mints; the receiving machine verifies with its own key.
  const caller = new ClerkM2M({ machineSecretKey: gateway.secretKey, apiUrl: standIn.url });
  const receiver = new ClerkM2M({ machineSecretKey: billing.secretKey, apiUrl: standIn.url });

  const opaque = await caller.createToken({ secondsUntilExpiration: 600, claims: { role: 'reader' } });
  assert.match(opaque.token, /^mt_/);
  assert.match(opaque.id, /^mt_[0-9a-f]{32}$/);
  assert.equal(opaque.object, 'machine_to_machine_token');
  assert.equal(opaque.subject, gateway.id);
  assert.deepEqual(opaque.scopes, gateway.scopes);
  assert.deepEqual(opaque.claims, { role: 'reader' });
  assert.equal(opaque.revoked, false);
  assert.equal(opaque.revocationReason, null);
  assert.equal(opaque.expired, false);
  assert.ok(Math.abs(opaque.expiration - (Date.now() + 600_000)) < 5_000);
  assert.equal(opaque.lastUsedAt, null);
  assert.equal(typeof opaque.createdAt, 'number');
  assert.equal(typeof opaque.updatedAt, 'number');

  const jwt = await caller.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 600 });
  assert.equal(jwt.token.split('.').length, 3);
  assert.equal(jwt.subject, gateway.id);

  const page = await caller.list({ subject: gateway.id });
  assert.equal(page.totalCount, 1, 'only opaque tokens are stored');
  assert.equal(page.data[0].id, opaque.id);
  assert.equal('token' in page.data[0], false, 'list never returns the token');

  const verified = await receiver.verify({ token: opaque.token });
  assert.equal(verified.id, opaque.id);
  assert.equal(verified.subject, gateway.id);
  assert.equal('token' in verified, false);
  // A JWT is checked locally (as @clerk/backend's m2m.verify does): with the JWKS (secretKey) or jwtKey; a client
  // with only a machine key cannot, and says so as the guard does.
  const mismatch = await rejection(receiver.verify({ token: jwt.token }));
  assert.equal(mismatch.reason, 'token-type-mismatch');
  const instance = new ClerkM2M({ secretKey: standIn.secretKey, apiUrl: standIn.url });
  const verifiedJwt = await instance.verify({ token: jwt.token });
  assert.equal(verifiedJwt.subject, gateway.id);

  const revoked = await caller.revokeToken({ m2mTokenId: opaque.id, revocationReason: 'rotated' });
  assert.equal(revoked.revoked, true);
  assert.equal(revoked.revocationReason, 'rotated');

  const err = await rejection(receiver.verify({ token: opaque.token }));
  assert.ok(err instanceof ClerkM2MError);
  assert.equal(err.code, 'token_invalid');

  const live = await caller.list({ subject: gateway.id });
  assert.equal(live.totalCount, 0);
  const gone = await caller.list({ subject: gateway.id, revoked: true });
  assert.equal(gone.totalCount, 1);
  assert.equal(gone.data[0].revoked, true);
  assert.equal(gone.data[0].revocationReason, 'rotated');
});

test('verify rejects a token Clerk reports as revoked or expired with 200', async () => {
  await standIn.configure({ verifyDeadTokens: '200' });
  try {
    const gateway = standIn.machine('gateway');
    const m2m = new ClerkM2M({ machineSecretKey: gateway.secretKey, secretKey: standIn.secretKey, apiUrl: standIn.url });
    const t = await m2m.createToken({ secondsUntilExpiration: 60 });
    await m2m.revokeToken({ m2mTokenId: t.id });
    const revoked = await rejection(m2m.verify({ token: t.token, machineSecretKey: standIn.secretKey }));
    assert.equal(revoked.code, 'token_invalid');
    assert.equal(revoked.reason, 'token-revoked');

    const short = await m2m.createToken({ secondsUntilExpiration: 60 });
    await standIn.configure({ clockOffsetMs: 120_000 });
    const expired = await rejection(m2m.verify({ token: short.token, machineSecretKey: standIn.secretKey }));
    assert.equal(expired.code, 'token_invalid');
    assert.equal(expired.reason, 'token-expired');

    // Clerk says "not expired" but the expiration is in the past: still refused.
    await standIn.configure({ clockOffsetMs: 0 });
    const stale = { object: 'machine_to_machine_token', id: short.id, subject: gateway.id, scopes: [], claims: null,
      revoked: false, revocation_reason: null, expired: false, expiration: Date.now() - 1000, last_used_at: null,
      created_at: 1, updated_at: 1 };
    await standIn.fault({ path: '/m2m_tokens/verify', body: stale });
    const lying = await rejection(m2m.verify({ token: short.token }));
    assert.equal(lying.reason, 'token-expired');
  } finally {
    await standIn.configure({ verifyDeadTokens: '404', clockOffsetMs: 0 });
  }
});

//END

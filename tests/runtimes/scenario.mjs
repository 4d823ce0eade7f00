// What the runtime suites share: the guarded API's bindings, one HTTP call to a host, the request log's counts
// and the rejection checks (status, reason, WWW-Authenticate) that every guarded app must pass.
import assert from 'node:assert/strict';

/** The bindings of a guarded API run as the stand-in's `billing` machine. */
export function apiEnv(standIn, extra = {}) {
  const billing = standIn.machine('billing');
  return {
    CLERK_API_URL: standIn.url,
    CLERK_MACHINE_SECRET_KEY: billing.secretKey,
    CLERK_SECRET_KEY: standIn.secretKey,
    CLERK_MACHINE_ID: billing.id,
    ...extra,
  };
}

/** One request to a host: `{ status, headers, body }` (the body read as JSON). */
export async function call(host, path, { token, authorization, method = 'GET' } = {}) {
  const headers = {};
  if (authorization !== undefined) headers.authorization = authorization;
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${host.url}${path}`, { method, headers });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** How many logged requests to the stand-in match `predicate`; the log is cleared. */
export async function takeCount(standIn, predicate) {
  const log = await standIn.requests();
  await standIn.clearRequests();
  return log.filter(predicate).length;
}

/** How many opaque tokens the stand-in has created so far (a pooled answer creates none). */
export async function createdSoFar(standIn) {
  return (await (await fetch(`${standIn.url}/__admin/tokens`)).json()).length;
}

export const isVerify = (r) => r.path === '/m2m_tokens/verify';
export const isMint = (r) => r.method === 'POST' && r.path === '/m2m_tokens';

/** A session-like JWT (a user's `sub`) on the header of the M2M JWT `jwt`: a token of the wrong type. */
export function sessionLike(jwt) {
  const [header] = jwt.split('.');
  const claims = Buffer.from(JSON.stringify({ sub: 'user_2abc', exp: 9999999999, sid: 'sess_1' })).toString('base64url');
  return `${header}.${claims}.c2ln`;
}

/** Each `[how, reason]` answered 401 on `path` with that reason and a `Bearer` challenge. */
export async function expectRejections(host, path, cases) {
  for (const [how, reason] of cases) {
    const res = await call(host, path, how);
    assert.equal(res.status, 401, `${reason}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error, reason);
    assert.match(res.headers.get('www-authenticate'), /^Bearer realm="clerk-m2m"/);
  }
}

/**
 * Mints an opaque and a JWT token through the app's demo route and calls `/api/whoami` with each: 200 with
 * `subject` and the right token format. Returns the two minted answers.
 */
export async function mintAndCall(host, subject) {
  const opaque = await call(host, '/tokens', { method: 'POST' });
  assert.equal(opaque.status, 201, JSON.stringify(opaque.body));
  const jwt = await call(host, '/tokens?format=jwt', { method: 'POST' });
  assert.equal(jwt.body.token.split('.').length, 3);
  for (const [token, format] of [[opaque.body.token, 'opaque'], [jwt.body.token, 'jwt']]) {
    const me = await call(host, '/api/whoami', { token });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.subject, subject);
    assert.equal(me.body.tokenFormat, format);
    assert.ok(me.body.scopes.includes(subject));
  }
  return { opaque, jwt };
}

/** Stops the stand-in, then `token` (never verified yet) gets 503 `upstream-unavailable` with `Retry-After`. */
export async function expectUnavailable(host, standIn, token) {
  await standIn.stop();
  const down = await call(host, '/api/whoami', { token });
  assert.equal(down.status, 503);
  assert.equal(down.body.error, 'upstream-unavailable');
  assert.ok(Number(down.headers.get('retry-after')) > 0);
}

/** Revokes the minted opaque token through the app's demo route; once `cacheTtlMs` has passed it gets 401. */
export async function expectRevokedRefused(host, opaque, cacheTtlMs) {
  const revoked = await call(host, `/tokens/${opaque.body.id}/revoke`, { method: 'POST' });
  assert.equal(revoked.body.revoked, true);
  await new Promise((r) => setTimeout(r, cacheTtlMs + 100));
  const gone = await call(host, '/api/whoami', { token: opaque.body.token });
  assert.equal(gone.status, 401);
  assert.equal(gone.body.error, 'token-invalid');
}

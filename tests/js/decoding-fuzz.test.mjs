// Randomised runs of the wasm's own decoding path — the runtime's JSON.parse, the nesting bound, serde-wasm-bindgen
// into the core's types — which the native property tests and cargo-fuzz targets (serde_json) do not reach.
// Generated JSON texts (extreme numbers, repeated names, escapes, lone surrogates, deep nesting) and byte-level
// mutations of real answers go in as signed JWT claim sets, JOSE headers, Clerk's verify, list and error answers.
// Nothing may throw where an answer is due, nothing may kill the instance, and what is accepted keeps its
// invariants. `make test` runs a few hundred cases per property (seeded, so a failure repeats); a long run:
//   FUZZ_SECONDS=600 node --test tests/js/decoding-fuzz.test.mjs   (each property for that long; counts printed)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createSign } from 'node:crypto';
import { pkg, useStandIn } from './helpers.mjs';

const { ClerkM2M, ClerkM2MError, ClerkAPIResponseError, verifyRequest, clearVerificationCache } = pkg;
const standIn = useStandIn();
const fixture = (name) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const PRIVATE = fixture('test-rsa-private-pkcs8.pem');
const PUBLIC = fixture('test-rsa-public.pem');
const MACHINE = 'mch_gateway00000000000000000000';
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 0);
const CASES = Number(process.env.FUZZ_CASES ?? 250);
const SEED = Number(process.env.FUZZ_SEED ?? 20261128);
const SAFE = Number.MAX_SAFE_INTEGER;
const STRUCTURAL = ['iss', 'sub', 'exp', 'nbf', 'iat', 'jti'];
const REASONS = new Set(['token-missing', 'token-malformed', 'token-type-mismatch', 'token-invalid', 'token-expired',
  'token-revoked', 'machine-not-in-scope', 'secret-key-invalid', 'upstream-unavailable']);

/** mulberry32: a small seeded generator, so that a failing case can be replayed with its seed. */
function generator(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (xs) => xs[int(xs.length)];
  return { next, int, pick };
}

const NUMBERS = ['0', '-0', '1', '-1', '5.0', '1.5', '1e3', '1E+2', '0e500', '1e400', '-1e400', '1.5e-2147483647',
  '123456789012345678901234e2147483647', '9007199254740991', '9007199254740992', '-9007199254740993',
  '1.7976931348623157e308', '7423206935313217.0', '4102444800', '1700000000', '1700000000000', '0.1', '2e-7'];
const STRINGS = ['""', '"mch_gateway00000000000000000000"', '"mch_other"', '"user_1"', '"RS256"', '"none"', '"JWT"',
  '"ins_test"', '"cl_B7d4PD333AAA"', '"mt_abababababababababababababababab"', '"a b c"', '"\\u0000"', '"\\ud800"',
  '"\\"quoted\\""', '"\\\\"', '"é漢😀"', '"\\/"', '"[{"', '"}]"'];
const NAMES = ['id', 'object', 'subject', 'scopes', 'claims', 'revoked', 'revocation_reason', 'expired', 'expiration',
  'last_used_at', 'created_at', 'updated_at', 'token', 'm2m_tokens', 'total_count', 'errors', 'message',
  'long_message', 'code', 'meta', 'clerk_trace_id', 'sub', 'exp', 'nbf', 'iat', 'jti', 'iss', 'aud', 'alg', 'kid',
  'typ', 'cat', 'crit', 'keys', 'x', '__proto__', 'constructor', ''];

/** A JSON text (valid JSON, though not always what JSON.stringify would write: names repeat, numbers overflow). */
function jsonValue(r, depth = 0) {
  const roll = r.next();
  if (depth > 5 || roll < 0.35) return r.next() < 0.5 ? r.pick(NUMBERS) : r.pick(STRINGS);
  if (roll < 0.45) return r.pick(['true', 'false', 'null']);
  if (roll < 0.5) {
    const n = r.pick([5, 100, 126, 127, 128, 200, 3000]);
    return `${'['.repeat(n)}${']'.repeat(n)}`;
  }
  if (roll < 0.7) return `[${Array.from({ length: r.int(4) }, () => jsonValue(r, depth + 1)).join(',')}]`;
  return jsonObject(r, depth + 1);
}

function jsonObject(r, depth = 0, required = []) {
  const members = [...required];
  for (let i = r.int(6); i > 0; i--) members.push(`${JSON.stringify(r.pick(NAMES))}:${jsonValue(r, depth)}`);
  for (let i = members.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [members[i], members[j]] = [members[j], members[i]];
  }
  return `{${members.join(',')}}`;
}

/** A byte-level mutation of `text`: a character dropped, inserted or repeated, or a slice duplicated. */
function mutate(r, text) {
  const at = r.int(text.length + 1);
  switch (r.int(4)) {
    case 0: return text.slice(0, at) + text.slice(at + 1);
    case 1: return text.slice(0, at) + r.pick(['"', '{', '}', '[', ']', ',', ':', '\\', '0', 'e', '-', ' ']) + text.slice(at);
    case 2: return text.slice(0, at) + text.slice(at, at + r.int(12)).repeat(2) + text.slice(at + 12);
    default: return text.slice(0, at) + text.slice(r.int(text.length));
  }
}

/** Runs `property(r, i)` CASES times, or for FUZZ_SECONDS; returns how many cases ran. */
async function run(name, seedOffset, property) {
  const r = generator(SEED + seedOffset);
  const until = Date.now() + SECONDS * 1000;
  let i = 0;
  for (; SECONDS > 0 ? Date.now() < until : i < CASES; i++) await property(r, i);
  if (SECONDS > 0) console.log(`${name}: ${i} cases in ${SECONDS} s (seed ${SEED + seedOffset})`);
  return i;
}

const b64url = (text) => Buffer.from(text).toString('base64url');
const sign = (header, payload) => {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(PRIVATE).toString('base64url')}`;
};
const request = (token) => ({ headers: new Headers({ authorization: `Bearer ${token}` }) });
const isTimestamp = (v) => v === null || (Number.isSafeInteger(v) && Math.abs(v) <= SAFE);

function checkAuth(auth, label) {
  assert.equal(typeof auth.isAuthenticated, 'boolean', label);
  if (auth.isAuthenticated) {
    assert.ok(auth.machineId.startsWith('mch_'), label);
    assert.ok(isTimestamp(auth.expiration) && auth.expiration !== null, label);
    assert.ok(auth.claims === null || (typeof auth.claims === 'object' && !Array.isArray(auth.claims)), label);
    for (const claim of STRUCTURAL) assert.ok(!auth.claims || !Object.hasOwn(auth.claims, claim), `${label}: ${claim}`);
  } else {
    assert.ok(REASONS.has(auth.reason), `${label}: ${auth.reason}`);
    assert.equal(auth.toResponse().status, auth.status, label);
  }
}

const now = () => Math.floor(Date.now() / 1000);
const HEADER = '{"alg":"RS256","typ":"JWT","kid":"ins_test"}';

test('signed claim sets of any JSON shape: an answer every time, and an accepted token keeps its invariants', async () => {
  const guard = { jwtKey: PUBLIC, allowAnyMachine: true };
  let accepted = 0;
  await run('jwt payloads', 1, async (r, i) => {
    const base = [`"sub":${r.next() < 0.8 ? JSON.stringify(MACHINE) : r.pick(STRINGS)}`, `"exp":${r.next() < 0.8 ? now() + 600 : r.pick(NUMBERS)}`];
    let payload = jsonObject(r, 0, base);
    if (r.next() < 0.3) payload = mutate(r, payload);
    clearVerificationCache();
    const label = `case ${i}: ${payload.slice(0, 300)}`;
    const auth = await verifyRequest(request(sign(HEADER, payload)), guard).catch((err) => assert.fail(`${label}: ${err}`));
    checkAuth(auth, label);
    if (auth.isAuthenticated) accepted++;
  });
  assert.ok(accepted > 0, 'some generated tokens are valid');
});

/** Whether a JOSE header (as JSON.parse reads it: a repeated name is its last occurrence) may pass with an RS256
 * signature: `alg` RS256, `typ` absent or JWT (any case), `cat` absent or the M2M category, no `crit`. */
function headerMayPass(text) {
  let h;
  try {
    h = JSON.parse(text);
  } catch {
    return false;
  }
  if (h === null || typeof h !== 'object' || Array.isArray(h)) return false;
  const absent = (v) => v === undefined || v === null;
  return h.alg === 'RS256'
    && (absent(h.typ) || (typeof h.typ === 'string' && h.typ.toLowerCase() === 'jwt'))
    && (absent(h.cat) || h.cat === 'cl_B7d4PD333AAA')
    && absent(h.crit);
}

test('JOSE headers of any JSON shape are answered, and only an allowed algorithm with a verifying signature passes', async () => {
  const guard = { jwtKey: PUBLIC, allowAnyMachine: true };
  const payload = `{"sub":"${MACHINE}","exp":${now() + 3600}}`;
  let accepted = 0;
  await run('jwt headers', 2, async (r, i) => {
    const alg = r.next() < 0.7 ? '"RS256"' : r.pick(['"RS384"', '"RS512"', '"HS256"', '"none"', '"ES256"', '"PS256"', '"rs256"', ...STRINGS]);
    const extra = [];
    if (r.next() < 0.3) extra.push(`"typ":${r.pick(['"JWT"', '"jwt"', '"at+jwt"', '"JOSE"', 'null', '1'])}`);
    if (r.next() < 0.3) extra.push(`"cat":${r.pick(['"cl_B7d4PD333AAA"', '"cl_session"', '""', 'null'])}`);
    if (r.next() < 0.15) extra.push(`"crit":${r.pick(['["b64"]', '[]', '"exp"'])}`);
    let header = jsonObject(r, 0, r.next() < 0.9 ? [`"alg":${alg}`, ...extra] : extra);
    if (r.next() < 0.2) header = mutate(r, header);
    clearVerificationCache();
    const label = `case ${i}: ${header.slice(0, 300)}`;
    const auth = await verifyRequest(request(sign(header, payload)), guard).catch((err) => assert.fail(`${label}: ${err}`));
    checkAuth(auth, label);
    if (auth.isAuthenticated) {
      accepted++;
      assert.ok(headerMayPass(header), `${label}: accepted a header the rules refuse`);
    }
  });
  assert.ok(accepted > 0, 'some generated headers pass: the assertion above is not vacuous');
});

test('every header rule by a real signature: RS384 and RS512 pass; HS256, none, wrong cat/typ/crit and an alg the key refuses do not', async () => {
  const { createHmac, createPublicKey } = await import('node:crypto');
  const payload = `{"sub":"${MACHINE}","exp":${now() + 3600}}`;
  const signWith = (hash, header) => {
    const input = `${b64url(header)}.${b64url(payload)}`;
    return `${input}.${createSign(hash).update(input).sign(PRIVATE).toString('base64url')}`;
  };
  const hmac = (secret, header) => {
    const input = `${b64url(header)}.${b64url(payload)}`;
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  };
  const publicJwk = createPublicKey(PUBLIC).export({ format: 'jwk' });
  const cases = [
    ['RS256', signWith('RSA-SHA256', '{"alg":"RS256","typ":"JWT"}'), true],
    ['RS384, signed with SHA-384', signWith('RSA-SHA384', '{"alg":"RS384"}'), true],
    ['RS512, signed with SHA-512', signWith('RSA-SHA512', '{"alg":"RS512","cat":"cl_B7d4PD333AAA"}'), true],
    ['RS384 header, SHA-256 signature', signWith('RSA-SHA256', '{"alg":"RS384"}'), false],
    ['HS256 keyed with the PEM public key', hmac(PUBLIC, '{"alg":"HS256","typ":"JWT"}'), false],
    ['HS256 keyed with the JWK public key', hmac(JSON.stringify(publicJwk), '{"alg":"HS256","typ":"JWT"}'), false],
    ['alg none, empty signature', `${b64url('{"alg":"none","typ":"JWT"}')}.${b64url(payload)}.`, false],
    ['a session category, validly signed', signWith('RSA-SHA256', '{"alg":"RS256","cat":"cl_session"}'), false],
    ['typ at+jwt, validly signed', signWith('RSA-SHA256', '{"alg":"RS256","typ":"at+jwt"}'), false],
    ['crit, validly signed', signWith('RSA-SHA256', '{"alg":"RS256","crit":["b64"],"b64":false}'), false],
  ];
  for (const [what, token, passes] of cases) {
    clearVerificationCache();
    const auth = await verifyRequest(request(token), { jwtKey: PUBLIC, allowAnyMachine: true });
    assert.equal(auth.isAuthenticated, passes, what);
    if (!passes) assert.ok(['token-invalid', 'token-malformed'].includes(auth.reason), `${what}: ${auth.reason}`);
  }

  // Through the JWKS: a key the JWKS restricts to RS256 refuses a token whose header says RS384, however it is
  // signed (WebCrypto imports the key for exactly one hash).
  await standIn.configure({ jwks: { keys: [{ ...publicJwk, kid: 'ins_fixture', alg: 'RS256', use: 'sig' }] } });
  try {
    const viaJwks = { secretKey: standIn.secretKey, apiUrl: standIn.url, allowAnyMachine: true };
    clearVerificationCache();
    assert.equal((await verifyRequest(request(signWith('RSA-SHA256', '{"alg":"RS256","kid":"ins_fixture"}')), viaJwks)).isAuthenticated, true);
    for (const [hash, alg] of [['RSA-SHA384', 'RS384'], ['RSA-SHA512', 'RS512']]) {
      clearVerificationCache();
      const auth = await verifyRequest(request(signWith(hash, `{"alg":"${alg}","kid":"ins_fixture"}`)), viaJwks);
      assert.equal(auth.reason, 'token-invalid', `${alg} against an RS256 key`);
    }
  } finally {
    await standIn.configure({ jwks: null });
  }
});

test("Clerk's verify, list and error answers of any shape: a typed result or a typed error, never a crash", async () => {
  const gateway = standIn.machine('gateway');
  const m2m = new ClerkM2M({ machineSecretKey: gateway.secretKey, apiUrl: standIn.url, maxRetries: 0 });
  const token = JSON.stringify({ object: 'machine_to_machine_token', id: `mt_${'cd'.repeat(16)}`, subject: gateway.id,
    scopes: [gateway.id], claims: { a: 1 }, revoked: false, expired: false, expiration: Date.now() + 60_000,
    created_at: 1, updated_at: 1, last_used_at: null });
  const codes = new Set(['invalid_response', 'token_invalid']);
  await run('clerk answers', 3, async (r, i) => {
    const kind = r.pick(['verify', 'list', 'error']);
    let body = r.next() < 0.5 ? mutate(r, kind === 'list' ? `{"m2m_tokens":[${token}],"total_count":1}` : token) : jsonValue(r);
    if (r.next() < 0.2) body = mutate(r, body);
    const status = kind === 'error' ? r.pick([400, 401, 403, 404, 422, 429, 500, 503]) : 200;
    await standIn.fault({ path: kind === 'list' ? '/m2m_tokens' : '/m2m_tokens/verify', status, body });
    const label = `case ${i} (${kind} ${status}): ${body.slice(0, 200)}`;
    try {
      if (kind === 'list') {
        const list = await m2m.list({ subject: gateway.id });
        assert.ok(Number.isSafeInteger(list.totalCount) && list.totalCount >= 0, label);
        for (const t of list.data) assert.ok([t.expiration, t.createdAt, t.updatedAt, t.lastUsedAt].every(isTimestamp), label);
      } else {
        const t = await m2m.verify({ token: 'mt_fuzzing' });
        assert.equal(typeof t.id, 'string', label);
        assert.ok(Array.isArray(t.scopes) && t.scopes.every((s) => typeof s === 'string'), label);
        assert.ok([t.expiration, t.createdAt, t.updatedAt, t.lastUsedAt].every(isTimestamp), label);
        assert.equal(t.revoked, false, label);
      }
    } catch (err) {
      if (err instanceof ClerkAPIResponseError) {
        assert.equal(err.status, status, label);
        assert.ok(Array.isArray(err.errors), label);
      } else {
        assert.ok(err instanceof ClerkM2MError, `${label}: ${err}`);
        assert.ok(codes.has(err.code), `${label}: ${err.code}`);
      }
      assert.ok(!String(err.message).includes(gateway.secretKey), label);
    }
    await standIn.clearFaults();
  });
  // The instance is alive and right after all of it: a token minted by the gateway verifies for billing.
  const minted = await m2m.createToken({ secondsUntilExpiration: 60 });
  const billing = new ClerkM2M({ machineSecretKey: standIn.machine('billing').secretKey, apiUrl: standIn.url });
  assert.equal((await billing.verify({ token: minted.token })).id, minted.id);
});

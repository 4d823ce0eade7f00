// The bad-input corpus (tests/corpus/hostile-inputs.json, 361 cases: options, Authorization headers, tokens):
// every input gets a clear error (invalid_argument naming the field, missing_key) or a rejection with the right
// reason, nothing throws where it must not, and the stand-in's request log proves none of them reached Clerk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHmac, createSign } from 'node:crypto';
import { pkg, useStandIn, takeRequests, rejection } from './helpers.mjs';

const { ClerkM2M, ClerkM2MError, verifyRequest, clearVerificationCache } = pkg;
const standIn = useStandIn();
const corpus = JSON.parse(readFileSync(new URL('../corpus/hostile-inputs.json', import.meta.url), 'utf8'));
const fixture = (name) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
/** The key pair the corpus's `$signed` tokens are signed with; the guard verifies with its public half. */
const PRIVATE = fixture('test-rsa-private-pkcs8.pem');
const PUBLIC = fixture('test-rsa-public.pem');

/** Turns the corpus's markers into the hostile JS values they stand for. */
function decode(v) {
  if (Array.isArray(v)) return v.map(decode);
  if (v === null || typeof v !== 'object') return v;
  if ('$nan' in v) return NaN;
  if ('$inf' in v) return Infinity;
  if ('$-inf' in v) return -Infinity;
  if ('$undefined' in v) return undefined;
  if ('$bigint' in v) return BigInt(v.$bigint);
  if ('$fn' in v) return () => 1;
  if ('$symbol' in v) return Symbol('hostile');
  if ('$date' in v) return new Date(0);
  if ('$cyclic' in v) {
    const o = { a: 1 };
    o.self = o;
    return o;
  }
  if ('$repeat' in v) return v.$repeat[0].repeat(v.$repeat[1]);
  if ('$concat' in v) return v.$concat.map(decode).join('');
  if ('$signed' in v) {
    const [input, hash] = v.$signed;
    return `${input}.${createSign(hash).update(input).sign(PRIVATE).toString('base64url')}`;
  }
  if ('$hmacPublic' in v) {
    const [input, hash] = v.$hmacPublic;
    return `${input}.${createHmac(hash, PUBLIC).update(input).digest('base64url')}`;
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
}

/** A Request-like object: real Headers refuse some hostile values before they could reach the guard. */
const requestWith = (authorization) => ({ headers: { get: (name) => (name.toLowerCase() === 'authorization' ? authorization : null) } });
const label = (c) => `${c.op} ${JSON.stringify(c.input)?.slice(0, 80)}`;

test('the corpus holds at least 200 hostile inputs', () => {
  assert.ok(corpus.cases.length >= 200, `${corpus.cases.length} cases`);
});

test('every hostile input is refused clearly, and none reaches Clerk', async () => {
  const m2m = new ClerkM2M({ machineSecretKey: standIn.machine('gateway').secretKey, apiUrl: standIn.url });
  const guard = { jwtKey: PUBLIC, machineSecretKey: standIn.machine('billing').secretKey, apiUrl: standIn.url, allowAnyMachine: true };
  const unhandled = [];
  const onUnhandled = (e) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  await takeRequests(standIn);
  let checked = 0;
  for (const c of corpus.cases) {
    clearVerificationCache();
    const input = decode(c.input);
    if (['createToken', 'list', 'revokeToken', 'verify'].includes(c.op)) {
      const err = await rejection(m2m[c.op](input));
      assert.ok(err instanceof ClerkM2MError, `${label(c)}: ${String(err)}`);
      assert.equal(err.code, c.expect.code, label(c));
      assert.equal(err.field, c.expect.field, `${label(c)}: ${err.message}`);
    } else if (c.op === 'constructor') {
      assert.throws(() => new ClerkM2M(input), (err) => err instanceof ClerkM2MError && err.code === c.expect.code && err.field === c.expect.field, label(c));
    } else if (c.op === 'verifyRequestOptions') {
      const err = await rejection(verifyRequest(requestWith('Bearer mt_abc'), input));
      assert.equal(err.code, c.expect.code, label(c));
      if (c.expect.field) assert.equal(err.field, c.expect.field, label(c));
    } else {
      const header = c.op === 'header' ? input : `Bearer ${input}`;
      const auth = await verifyRequest(requestWith(header), guard);
      assert.equal(auth.isAuthenticated, false, label(c));
      assert.equal(auth.reason, c.expect.reason, label(c));
      assert.equal(auth.toResponse().status, auth.status);
    }
    checked++;
  }
  process.off('unhandledRejection', onUnhandled);
  assert.equal(checked, corpus.cases.length);
  assert.deepEqual(unhandled, []);
  assert.deepEqual((await takeRequests(standIn)).map((r) => `${r.method} ${r.path}`), [], 'no hostile input caused a call to Clerk');
});

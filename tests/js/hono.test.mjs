// clerk-m2m-edge/hono and the one-line Workers setup, through the packed package with real Hono (in-process,
// `app.request`): m2mAuth guards routes, options may be functions of the context, onRejected replaces the
// rejection, a KV namespace becomes the shared cache through waitUntil; ClerkM2M.fromEnv reads the documented
// bindings, names the bad one, and returns one instance per configuration; kvCacheStore adapts a namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pkg, useStandIn, rejection } from './helpers.mjs';

const consumer = fileURLToPath(new URL('../.tmp/consumer/', import.meta.url));
const load = (specifier) => import(createRequire(join(consumer, 'x.js')).resolve(specifier));
const { Hono } = await load('hono');
const { m2mAuth } = await import(join(consumer, 'node_modules/clerk-m2m-edge/hono.js'));
const { ClerkM2M, ClerkM2MError, kvCacheStore, cacheApiStore } = pkg;
const standIn = useStandIn();

/** A Hono app guarding /api/* with `options`, answering the signed-in machine on /api/whoami. */
function app(options) {
  const hono = new Hono();
  hono.use('/api/*', m2mAuth(options));
  hono.get('/api/whoami', (c) => c.json({ subject: c.get('m2mAuth').subject, format: c.get('m2mAuth').tokenFormat }));
  return hono;
}
const bearer = (token) => ({ headers: { authorization: `Bearer ${token}` } });
const envOf = (machine, extra = {}) => ({
  CLERK_API_URL: standIn.url,
  CLERK_MACHINE_SECRET_KEY: standIn.machine(machine).secretKey,
  CLERK_SECRET_KEY: standIn.secretKey,
  ...extra,
});

test('m2mAuth: 200 with c.get("m2mAuth"), 401s with the guard’s response, 403 for a foreign machine', async () => {
  const billing = standIn.machine('billing');
  const env = envOf('billing', { CLERK_MACHINE_ID: billing.id });
  const guarded = app({}); // the receiving machine is the CLERK_MACHINE_ID binding
  const own = await ClerkM2M.fromEnv(env).createToken({ secondsUntilExpiration: 600 });
  const ok = await guarded.request('/api/whoami', bearer(own.token), env);
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { subject: billing.id, format: 'opaque' });

  for (const [init, reason] of [
    [{}, 'token-missing'],
    [bearer('mt_bad!token'), 'token-malformed'],
    [bearer(billing.secretKey), 'token-type-mismatch'],
    [bearer('mt_' + 'x'.repeat(40)), 'token-invalid'],
  ]) {
    const res = await guarded.request('/api/whoami', init, env);
    assert.equal(res.status, 401, reason);
    assert.equal((await res.json()).error, reason);
    assert.match(res.headers.get('www-authenticate'), /^Bearer realm="clerk-m2m"/);
  }
  const foreign = await new ClerkM2M({ machineSecretKey: standIn.machine('reports').secretKey, apiUrl: standIn.url })
    .createToken({ tokenFormat: 'jwt' });
  const forbidden = await guarded.request('/api/whoami', bearer(foreign.token), env);
  assert.equal(forbidden.status, 403);
  assert.equal((await forbidden.json()).error, 'machine-not-in-scope');
});

test('m2mAuth: onRejected replaces the rejection; options override the bindings; bad options throw', async () => {
  const env = envOf('billing', { CLERK_MACHINE_ID: standIn.machine('billing').id });
  const seen = [];
  const custom = app({
    onRejected: (c, auth) => (seen.push([c.req.path, auth.reason, auth.status]), c.json({ nope: auth.reason }, 418)),
  });
  const res = await custom.request('/api/whoami', {}, env);
  assert.equal(res.status, 418);
  assert.deepEqual(await res.json(), { nope: 'token-missing' });
  assert.deepEqual(seen, [['/api/whoami', 'token-missing', 401]]);

  // An option overrides the binding: the API URL points nowhere, so verification is upstream-unavailable.
  const elsewhere = app({ apiUrl: 'http://127.0.0.1:9', maxRetries: 0 });
  const down = await elsewhere.request('/api/whoami', bearer('mt_' + 'y'.repeat(40)), env);
  assert.equal(down.status, 503);
  assert.ok(Number(down.headers.get('retry-after')) > 0);

  for (const [options, field] of [[{ onRejected: 5 }, 'onRejected'], [5, 'options']]) {
    assert.throws(() => m2mAuth(options), (err) => err instanceof ClerkM2MError && err.field === field);
  }
  const bad = await app({ machineId: 'not-a-machine' }).request('/api/whoami', bearer('mt_' + 'z'.repeat(40)), env);
  assert.equal(bad.status, 500, 'a misconfiguration is an error of the app, never a pass');
});

test('m2mAuth: a KV namespace is the shared cache, written through executionCtx.waitUntil', async () => {
  const env = envOf('billing', { CLERK_MACHINE_ID: standIn.machine('billing').id });
  const token = (await ClerkM2M.fromEnv(env).createToken({ secondsUntilExpiration: 600 })).token;
  const kv = new Map();
  const namespace = { get: async (k) => kv.get(k) ?? null, put: async (k, v) => void kv.set(k, v) };
  const waited = [];
  const ctx = { waitUntil: (p) => waited.push(p), passThroughOnException() {}, props: {} };
  const guarded = app({ kv: () => namespace, cacheTtlMs: 60_000 });
  const res = await guarded.request('/api/whoami', bearer(token), env, ctx);
  assert.equal(res.status, 200);
  await Promise.all(waited);
  assert.equal(waited.length, 1, 'one write, handed to waitUntil');
  assert.equal(kv.size, 1);
  assert.ok(![...kv.keys(), ...kv.values()].some((s) => s.includes(token)), 'the shared cache never holds the token');
});

test('m2mAuth fails closed: a misspelt option throws at setup; no receiving machine is a 500, nothing sent', async () => {
  for (const [options, field, closest] of [
    [{ machineID: 'mch_x' }, 'machineID', 'machineId'],
    [{ cacheTTLMs: 5 }, 'cacheTTLMs', 'cacheTtlMs'],
    [{ allowAnyMachines: true }, 'allowAnyMachines', 'allowAnyMachine'],
  ]) {
    assert.throws(
      () => m2mAuth(options),
      (err) => err instanceof ClerkM2MError && err.code === 'invalid_argument' && err.field === field
        && err.message.includes(`did you mean ${closest}?`),
      field,
    );
  }
  const token = (await ClerkM2M.fromEnv(envOf('gateway')).createToken({ tokenFormat: 'jwt' })).token;
  await standIn.clearRequests();
  for (const env of [envOf('billing'), envOf('billing', { CLERK_MACHINE_ID: '' })]) {
    const res = await app({}).request('/api/whoami', bearer(token), env);
    assert.equal(res.status, 500, 'an unset CLERK_MACHINE_ID is the app\'s error, never a pass');
  }
  const unset = await app({ machineId: () => undefined }).request('/api/whoami', bearer(token), envOf('billing'));
  assert.equal(unset.status, 500);
  assert.equal((await standIn.requests()).length, 0, 'nothing reached Clerk');
  const any = await app({ allowAnyMachine: true }).request('/api/whoami', bearer(token), envOf('billing'));
  assert.equal(any.status, 200, 'allowAnyMachine: true says it');
  assert.throws(() => ClerkM2M.fromEnv(envOf('billing', { CLERK_MACHINE_ID: 'mch_short' })), (err) => err.field === 'CLERK_MACHINE_ID');
});

test('ClerkM2M.fromEnv: documented bindings, errors naming the binding, one instance per configuration', async () => {
  const env = envOf('gateway');
  const m2m = ClerkM2M.fromEnv(env);
  assert.equal(ClerkM2M.fromEnv({ ...env }), m2m, 'same values, same instance');
  assert.equal(ClerkM2M.fromEnv({ ...env, UNRELATED: 'x', CLERK_JWT_KEY: '' }), m2m, 'unread and empty bindings change nothing');
  assert.notEqual(ClerkM2M.fromEnv({ ...env, CLERK_TIMEOUT_MS: '5000' }), m2m);
  assert.notEqual(ClerkM2M.fromEnv(env, { maxRetries: 0 }), m2m, 'overrides are part of the configuration');
  assert.equal(ClerkM2M.fromEnv(env, { maxRetries: 0 }), ClerkM2M.fromEnv(env, { maxRetries: 0 }));
  // Found by the bindings' text, before anything is validated (a Hono app calls fromEnv on every request: equal
  // values are not checked, nor a PEM parsed, again) — so two spellings of one URL are two clients.
  assert.notEqual(ClerkM2M.fromEnv({ ...env, CLERK_API_URL: `${standIn.url}/` }), m2m);
  assert.equal(ClerkM2M.fromEnv({ ...env, CLERK_API_URL: ` ${standIn.url} ` }), m2m, 'surrounding spaces are trimmed');
  assert.match((await m2m.createToken()).token, /^mt_/, 'it works');

  for (const [binding, value] of [
    ['CLERK_TIMEOUT_MS', 'soon'],
    ['CLERK_TIMEOUT_MS', '0'],
    ['CLERK_MAX_RETRIES', '2.5'],
    ['CLERK_MAX_RETRIES', '11'],
    ['CLERK_API_URL', 'ftp://clerk'],
    ['CLERK_MACHINE_SECRET_KEY', 'ak with spaces'],
    ['CLERK_SECRET_KEY', 'sk\nx'],
    ['CLERK_JWT_KEY', 'not a pem'],
    ['CLERK_API_URL', { url: 'x' }],
  ]) {
    assert.throws(
      () => ClerkM2M.fromEnv({ ...env, [binding]: value }),
      (err) => err instanceof ClerkM2MError && err.code === 'invalid_argument' && err.field === binding && !err.message.includes(env.CLERK_MACHINE_SECRET_KEY),
      `${binding}=${JSON.stringify(value)}`,
    );
  }
  assert.throws(() => ClerkM2M.fromEnv(env, { timeoutMs: -1 }), (err) => err.field === 'timeoutMs', 'an override names the option');
  assert.throws(() => ClerkM2M.fromEnv(undefined), (err) => err.field === 'env');
  const keyless = ClerkM2M.fromEnv({ CLERK_API_URL: standIn.url });
  assert.equal((await rejection(keyless.createToken())).code, 'missing_key');
});

test('cacheApiStore: where the Cache API is absent (Node) it misses and writes nothing; bad arguments throw', async () => {
  const store = cacheApiStore();
  assert.equal(await store.get('clerk-m2m-edge:v2:x'), null);
  assert.equal(store.put('clerk-m2m-edge:v2:x', 'v', { expirationTtl: 60 }), undefined);
  const seen = [];
  const cache = { match: async (url) => (seen.push(['match', url]), undefined), put: async (url, res) => void seen.push(['put', url, await res.text(), res.headers.get('cache-control')]) };
  const waited = [];
  const given = cacheApiStore({ waitUntil: (p) => waited.push(p) }, cache);
  assert.equal(await given.get('k/1'), null);
  given.put('k/1', 'sealed entry', { expirationTtl: 120 });
  await Promise.all(waited);
  assert.deepEqual(seen, [['match', 'https://clerk-m2m-edge.cache/k%2F1'], ['put', 'https://clerk-m2m-edge.cache/k%2F1', 'sealed entry', 'max-age=120']]);
  assert.throws(() => cacheApiStore({}), (err) => err instanceof ClerkM2MError && err.field === 'ctx');
  assert.throws(() => cacheApiStore(undefined, {}), (err) => err instanceof ClerkM2MError && err.field === 'cache');
});

test('kvCacheStore: reads from KV, writes through waitUntil (or awaited without a context); bad input throws', async () => {
  const kv = new Map();
  const calls = [];
  const namespace = {
    get: async (k) => (calls.push(['get', k]), kv.get(k) ?? null),
    put: async (k, v, o) => (calls.push(['put', k, o]), void kv.set(k, v)),
  };
  const waited = [];
  const store = kvCacheStore(namespace, { waitUntil: (p) => waited.push(p) });
  assert.equal(await store.get('a'), null);
  assert.equal(store.put('a', '1', { expirationTtl: 60 }), undefined, 'nothing to wait for: the write is waitUntil’s');
  await Promise.all(waited);
  assert.equal(await store.get('a'), '1');
  await kvCacheStore(namespace).put('b', '2', { expirationTtl: 60 });
  assert.equal(kv.get('b'), '2');
  assert.deepEqual(calls.filter((c) => c[0] === 'put').map((c) => c[2]), [{ expirationTtl: 60 }, { expirationTtl: 60 }]);
  for (const [args, field] of [[[undefined], 'namespace'], [[{ get() {} }], 'namespace'], [[namespace, {}], 'ctx']]) {
    assert.throws(() => kvCacheStore(...args), (err) => err instanceof ClerkM2MError && err.field === field);
  }
});

test('users who do not import clerk-m2m-edge/hono pay nothing: the main entries never load it', async () => {
  const { readFileSync } = await import('node:fs');
  const dir = join(consumer, 'node_modules/clerk-m2m-edge');
  for (const entry of ['workerd.js', 'node.js', 'deno.js', 'edge-light.js', 'default.js', 'kv.js']) {
    assert.ok(!/hono/i.test(readFileSync(join(dir, entry), 'utf8')), entry);
  }
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  assert.deepEqual(manifest.peerDependenciesMeta, { hono: { optional: true } });
  assert.equal(manifest.dependencies, undefined, 'still no dependencies');
});

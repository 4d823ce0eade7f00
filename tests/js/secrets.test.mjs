// No key or token ever appears in an error message, property or toString, a signed-out object or its response,
// a console line, or a cache key — across every error path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pkg, useStandIn, rejection } from './helpers.mjs';

const { ClerkM2M, verifyRequest, clearVerificationCache } = pkg;
const standIn = useStandIn();

const SECRET_TOKEN = 'mt_TopSecretTokenValue0123456789abcdef';
const SECRET_JWT_PART = 'SecretJwtPayloadMarker';

/** Every string a developer could print or log from `value`. */
function surfaces(value) {
  const out = [String(value), JSON.stringify(value) ?? ''];
  if (value && typeof value === 'object') {
    out.push(value.stack ?? '', value.message ?? '');
    for (const k of Object.getOwnPropertyNames(value)) out.push(`${k}=${JSON.stringify(value[k])}`);
  }
  return out.join('\n');
}

function assertClean(value, secrets, label) {
  const text = surfaces(value);
  for (const secret of secrets) assert.ok(!text.includes(secret), `${label}: leaked ${secret.slice(0, 8)}… in ${text.slice(0, 300)}`);
}

test('every error path is free of keys and tokens, and nothing is logged', async () => {
  const machineKey = standIn.machine('billing').secretKey;
  const badKey = 'ak_wrong_but_secret_key_0001';
  const secrets = [machineKey, badKey, SECRET_TOKEN, standIn.secretKey];
  const logged = [];
  const saved = { log: console.log, error: console.error, warn: console.warn, info: console.info, debug: console.debug };
  for (const k of Object.keys(saved)) console[k] = (...args) => logged.push(args.join(' '));
  try {
    const m2m = new ClerkM2M({ machineSecretKey: machineKey, apiUrl: standIn.url, timeoutMs: 150, maxRetries: 0 });
    const wrong = new ClerkM2M({ machineSecretKey: badKey, apiUrl: standIn.url, maxRetries: 0 });
    const paths = {
      'token_invalid (404)': () => m2m.verify({ token: SECRET_TOKEN }),
      'api error (401, wrong key)': () => wrong.verify({ token: SECRET_TOKEN }),
      'api error echoing secrets': async () => {
        await standIn.fault({ path: '/m2m_tokens/verify', status: 400, body: { errors: [{ code: 'x', message: `${SECRET_TOKEN} ${machineKey}`,
          long_message: `key=${machineKey} token=${SECRET_TOKEN}`, meta: { token: SECRET_TOKEN, nested: [machineKey] } }], clerk_trace_id: SECRET_TOKEN } });
        return m2m.verify({ token: SECRET_TOKEN });
      },
      timeout: async () => {
        await standIn.fault({ path: '/m2m_tokens/verify', hang: true });
        return m2m.verify({ token: SECRET_TOKEN });
      },
      network_error: () => new ClerkM2M({ machineSecretKey: machineKey, apiUrl: 'http://127.0.0.1:9', maxRetries: 0 }).verify({ token: SECRET_TOKEN }),
      invalid_response: async () => {
        await standIn.fault({ path: '/m2m_tokens/verify', body: { token: SECRET_TOKEN, key: machineKey } });
        return m2m.verify({ token: SECRET_TOKEN });
      },
      'invalid_argument (token too long)': () => m2m.verify({ token: SECRET_TOKEN.repeat(300) }),
      'invalid_argument (bad key)': () => m2m.verify({ token: SECRET_TOKEN, machineSecretKey: `${badKey} x` }),
      'invalid_argument (bad constructor key)': async () => new ClerkM2M({ secretKey: `${machineKey}\n` }),
    };
    for (const [label, run] of Object.entries(paths)) {
      const err = await rejection(Promise.resolve().then(run));
      assertClean(err, secrets, label);
      await standIn.clearFaults();
    }

    // The trace id Clerk sent back contained the token: redacted like the rest of the body.
    const store = new Map();
    const cacheStore = { get: async (k) => store.get(k) ?? null, put: async (k, v) => void store.set(k, v) };
    const jwtLike = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: 'mch_x', marker: SECRET_JWT_PART })).toString('base64url')}.c2ln`;
    for (const token of [SECRET_TOKEN, jwtLike, `${SECRET_TOKEN} extra`, 'ak_' + SECRET_TOKEN]) {
      clearVerificationCache();
      const auth = await verifyRequest(new Request('https://x/', { headers: { authorization: `Bearer ${token}` } }),
        { machineSecretKey: machineKey, secretKey: standIn.secretKey, apiUrl: standIn.url, cacheStore, allowAnyMachine: true });
      assert.equal(auth.isAuthenticated, false);
      assertClean(auth, [...secrets, SECRET_JWT_PART], `signed-out object for ${token.slice(0, 10)}`);
      assertClean(await auth.toResponse().text(), [...secrets, SECRET_JWT_PART], 'rejection response');
      assert.equal(auth.toResponse().headers.get('www-authenticate')?.includes(SECRET_TOKEN), false);
    }
    for (const [key, value] of store) assertClean(`${key} ${value}`, [...secrets, SECRET_JWT_PART], 'shared cache entry');
  } finally {
    Object.assign(console, saved);
  }
  assert.deepEqual(logged, [], 'the package logs nothing');
});

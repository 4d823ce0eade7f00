// `make demo`: the worker-example running in workerd (Miniflare), guarded by clerk-m2m-edge, walked through with
// real HTTP calls — mint, call the guarded route, call without a token, revoke, call again — printing every
// request and response. Against the embedded Clerk stand-in by default; with CLERK_API_URL and
// CLERK_MACHINE_SECRET_KEY (and optionally CLERK_SECRET_KEY, CLERK_MACHINE_ID) set, against that Clerk.
import { fileURLToPath } from 'node:url';
import { startStandIn } from '../tests/mock-clerk/spawn.mjs';
import { startHost } from '../tests/runtimes/run-host.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const CACHE_TTL_MS = 1000;
const real = Boolean(process.env.CLERK_API_URL && process.env.CLERK_MACHINE_SECRET_KEY);
let standIn;
let env;
if (real) {
  env = {
    CLERK_API_URL: process.env.CLERK_API_URL,
    CLERK_MACHINE_SECRET_KEY: process.env.CLERK_MACHINE_SECRET_KEY,
    CLERK_SECRET_KEY: process.env.CLERK_SECRET_KEY ?? '',
    CLERK_MACHINE_ID: process.env.CLERK_MACHINE_ID ?? '',
  };
  console.log(`Clerk: ${env.CLERK_API_URL} (from CLERK_API_URL)`);
} else {
  standIn = await startStandIn();
  const billing = standIn.machine('billing');
  env = {
    CLERK_API_URL: standIn.url,
    CLERK_MACHINE_SECRET_KEY: billing.secretKey,
    CLERK_SECRET_KEY: standIn.secretKey,
    CLERK_MACHINE_ID: billing.id,
  };
  console.log(`Clerk: the local stand-in at ${standIn.url} (set CLERK_API_URL and CLERK_MACHINE_SECRET_KEY for real Clerk)`);
}
Object.assign(env, { CLERK_CACHE_TTL_MS: String(CACHE_TTL_MS), DEMO_ROUTES: 'true' });

const worker = await startHost('workerd', `${root}worker-example`, env, `${root}worker-example`);
console.log(`Worker: worker-example/ in workerd at ${worker.url}${env.CLERK_MACHINE_ID ? `, machine ${env.CLERK_MACHINE_ID}` : ''}\n`);

const short = (t) => (t && t.length > 28 ? `${t.slice(0, 14)}…${t.slice(-8)}` : t);
let step = 0;
async function call(title, method, path, token) {
  console.log(`${++step}. ${title}`);
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  console.log(`   → ${method} ${path}${token ? `   Authorization: Bearer ${short(token)}` : ''}`);
  const res = await fetch(`${worker.url}${path}`, { method, headers });
  const body = await res.json();
  const shown = body.token ? { ...body, token: short(body.token) } : body;
  const extra = ['www-authenticate', 'retry-after'].filter((h) => res.headers.has(h)).map((h) => `\n     ${h}: ${res.headers.get(h)}`).join('');
  console.log(`   ← ${res.status} ${JSON.stringify(shown)}${extra}\n`);
  return { status: res.status, body };
}

let failed = false;
const expect = (ok, what) => {
  if (!ok) {
    failed = true;
    console.log(`   !! unexpected: ${what}\n`);
  }
};
try {
  await call('The public route', 'GET', '/health');
  const minted = await call('Mint an opaque token with the worker\'s machine key', 'POST', '/tokens');
  expect(minted.status === 201, 'minting failed');
  const jwt = await call('Mint a JWT token', 'POST', '/tokens?format=jwt');
  const me = await call('Call the guarded route with the opaque token', 'GET', '/api/whoami', minted.body.token);
  expect(me.status === 200, 'the token was refused');
  await call('…and with the JWT (verified locally with WebCrypto)', 'GET', '/api/whoami', jwt.body.token);
  const anon = await call('Call the guarded route without a token', 'GET', '/api/whoami');
  expect(anon.status === 401, 'a request without a token got in');
  await call('Revoke the opaque token', 'POST', `/tokens/${minted.body.id}/revoke`);
  console.log(`   (the worker trusts a verified token for CLERK_CACHE_TTL_MS = ${CACHE_TTL_MS} ms; waiting for it to pass)\n`);
  await new Promise((r) => setTimeout(r, CACHE_TTL_MS + 100));
  const after = await call('Call again with the revoked token', 'GET', '/api/whoami', minted.body.token);
  expect(after.status === 401, 'the revoked token was accepted');
  console.log(failed ? 'Demo finished with unexpected answers.' : 'Done: minted, guarded, refused, revoked, refused.');
} catch (err) {
  failed = true;
  console.error(`Demo failed: ${err.message}`);
} finally {
  await worker.stop();
  await standIn?.stop();
}
process.exit(failed ? 1 : 0);

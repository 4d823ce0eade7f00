// `make demo`: the worker-example running in workerd (Miniflare), guarded by clerk-m2m-edge, walked through with
// real HTTP calls — mint, call the guarded route, call without a token, revoke, call again — printing every
// request and response. Then the caller's side: worker-example/caller calls the API through a service binding
// with a token source — three calls on one mint, the token revoked, the API's 401, one re-mint, 200 — printing
// the number of mints. Then a fleet: 8 isolates of one caller Worker, 200 concurrent cold requests for a JWT, each
// isolate minting for itself, then all asking the fleet's broker (M2MTokenBroker) — printing the mints of each.
// Against the embedded Clerk stand-in by default; with CLERK_API_URL, CLERK_MACHINE_SECRET_KEY
// and CLERK_MACHINE_ID (the guarded API's machine: the guard requires it) — optionally CLERK_SECRET_KEY, and for the
// caller CLERK_CALLER_MACHINE_SECRET_KEY and CLERK_CALLER_MACHINE_ID, else the same machine — against that Clerk.
import { fileURLToPath } from 'node:url';
import { ClerkM2M } from '../pkg/node.js';
import { startStandIn } from '../tests/mock-clerk/spawn.mjs';
import { startHost } from '../tests/runtimes/run-host.mjs';
import { startFleet } from '../tests/runtimes/fleet.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const CACHE_TTL_MS = 1000;
const real = Boolean(process.env.CLERK_API_URL && process.env.CLERK_MACHINE_SECRET_KEY);
let standIn;
let env;
let callerKeys;
let pair; // the caller and the API it is bound to (the second part)
if (real && !process.env.CLERK_MACHINE_ID) {
  console.error('make demo against real Clerk needs CLERK_MACHINE_ID: the guarded API\'s machine (mch_…), which tokens must name.');
  process.exit(2);
}
if (real) {
  env = {
    CLERK_API_URL: process.env.CLERK_API_URL,
    CLERK_MACHINE_SECRET_KEY: process.env.CLERK_MACHINE_SECRET_KEY,
    CLERK_SECRET_KEY: process.env.CLERK_SECRET_KEY ?? '',
    CLERK_MACHINE_ID: process.env.CLERK_MACHINE_ID ?? '',
  };
  callerKeys = {
    secretKey: process.env.CLERK_CALLER_MACHINE_SECRET_KEY || env.CLERK_MACHINE_SECRET_KEY,
    id: process.env.CLERK_CALLER_MACHINE_ID || env.CLERK_MACHINE_ID,
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
  callerKeys = { secretKey: standIn.machine('gateway').secretKey, id: standIn.machine('gateway').id };
  console.log(`Clerk: the local stand-in at ${standIn.url} (set CLERK_API_URL and CLERK_MACHINE_SECRET_KEY for real Clerk)`);
}
Object.assign(env, { CLERK_CACHE_TTL_MS: String(CACHE_TTL_MS), DEMO_ROUTES: 'true' });

const worker = await startHost('workerd', `${root}worker-example`, env, `${root}worker-example`);
console.log(`Worker: worker-example/ in workerd at ${worker.url}${env.CLERK_MACHINE_ID ? `, machine ${env.CLERK_MACHINE_ID}` : ''}\n`);

const short = (t) => (t && t.length > 28 ? `${t.slice(0, 14)}…${t.slice(-8)}` : t);
let step = 0;
async function call(title, method, path, token, host = worker) {
  console.log(`${++step}. ${title}`);
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  console.log(`   → ${method} ${path}${token ? `   Authorization: Bearer ${short(token)}` : ''}`);
  const res = await fetch(`${host.url}${path}`, { method, headers });
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
  console.log('The API: minted, guarded, refused, revoked, refused.\n');
  await worker.stop();
  await callerSide();
  await pair.stop();
  await fleetSide();
  console.log(failed ? 'Demo finished with unexpected answers.' : 'Done.');
} catch (err) {
  failed = true;
  console.error(`Demo failed: ${err.message}`);
} finally {
  await worker.stop();
  await pair?.stop();
  await standIn?.stop();
}

/**
 * The caller machine's mints so far: the stand-in's request log, or (real Clerk) the caller machine's tokens
 * created since `started`, listed with `owner`.
 */
async function mintsSince(owner, started) {
  if (standIn) return (await standIn.requests()).filter((r) => r.method === 'POST' && r.path === '/m2m_tokens').length;
  if (!callerKeys.id) return 'unknown (set CLERK_CALLER_MACHINE_ID)';
  return (await owner.list({ subject: callerKeys.id, limit: 100 })).data.filter((t) => t.createdAt >= started).length;
}

/** The caller's side: worker-example/caller → service binding → worker-example, in one workerd. */
async function callerSide() {
  const owner = new ClerkM2M({ machineSecretKey: callerKeys.secretKey, apiUrl: env.CLERK_API_URL });
  const started = Date.now();
  const mints = () => mintsSince(owner, started);
  await standIn?.clearRequests();
  const callerEnv = { CLERK_API_URL: env.CLERK_API_URL, CLERK_MACHINE_SECRET_KEY: callerKeys.secretKey, TOKEN_SECONDS: '600' };
  pair = await startHost('workerd', `${root}worker-example/caller`, callerEnv, `${root}worker-example`, undefined, [
    { app: `${root}worker-example`, env },
  ]);
  console.log(`Caller: worker-example/caller in workerd at ${pair.url}, the API bound to it as env.API (a service binding)\n`);
  const viaCaller = async (title) => {
    const res = await call(title, 'GET', '/call?path=/api/whoami', undefined, pair);
    console.log(`   mints so far: ${await mints()}\n`);
    return res;
  };
  for (let i = 1; i <= 3; i++) {
    const res = await viaCaller(`Call the API through the caller (${i} of 3): source.fetch adds Authorization: Bearer <token>`);
    expect(res.body.status === 200, 'the API refused the caller');
  }
  expect((await mints()) === 1 || !standIn, 'three calls should cost one mint');
  const live = callerKeys.id ? await owner.list({ subject: callerKeys.id, revoked: false, limit: 100 }) : { data: [] };
  for (const t of live.data.filter((t) => t.createdAt >= started)) {
    await owner.revokeToken({ m2mTokenId: t.id, revocationReason: 'revoked from the demo' });
    console.log(`   revoked the caller's token ${t.id}`);
  }
  console.log(`   (waiting CLERK_CACHE_TTL_MS = ${CACHE_TTL_MS} ms for the API to stop trusting it)\n`);
  await new Promise((r) => setTimeout(r, CACHE_TTL_MS + 100));
  const again = await viaCaller('Call again: the API answers 401, the source mints once and retries');
  expect(again.body.status === 200, 'the re-minted token was refused');
  expect((await mints()) === 2 || !standIn, 'the revoke should cost exactly one re-mint');
  console.log('The caller: one mint for three calls, revoked, 401, one re-mint, 200.\n');
}
/** A fleet of 8 isolates of one caller, 200 concurrent cold requests for a JWT: without a broker, then with one. */
async function fleetSide() {
  const isolates = 8;
  const requests = 200;
  const started = Date.now();
  const owner = new ClerkM2M({ machineSecretKey: callerKeys.secretKey, apiUrl: env.CLERK_API_URL });
  const minted = () => mintsSince(owner, started);
  const bindings = { CLERK_API_URL: env.CLERK_API_URL, CLERK_MACHINE_SECRET_KEY: callerKeys.secretKey, FORMAT: 'jwt', RUN: String(started) };
  console.log(`${++step}. A fleet: ${isolates} isolates of one caller Worker, ${requests} concurrent cold requests, each needing a JWT`);
  // Against real Clerk the baseline would create a token per request or so: shown against the stand-in only.
  for (const broker of standIn ? [false, true] : [true]) {
    await standIn?.clearRequests();
    const before = await minted();
    const fleet = await startFleet({ isolates, broker, bindings, project: `${root}worker-example` });
    try {
      const answers = await fleet.round(requests);
      const ok = answers.filter((a) => a.status === 200);
      const tokens = new Set(ok.map((a) => a.token)).size;
      const mints = (await minted()) - before;
      console.log(`   ${broker ? 'with the broker (M2MTokenBroker, one Durable Object for the fleet)' : 'each isolate minting for itself'}: `
        + `${ok.length}/${requests} requests served, ${mints} mint${mints === 1 ? '' : 's'} at Clerk, ${tokens} distinct token${tokens === 1 ? '' : 's'}`);
      if (broker) expect(mints === 1 && ok.length === requests, 'the broker should mint once for the whole fleet');
    } finally {
      await fleet.dispose();
    }
  }
  console.log('\nThe fleet: one mint for every isolate, through the broker.\n');
}
process.exit(failed ? 1 : 0);
